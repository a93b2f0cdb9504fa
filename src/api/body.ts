import type { z } from "zod";
import { jsonPath } from "../domain/json-path.ts";
import { badInput } from "../errors.ts";

/** What zod found wrong, each problem prefixed by where it is; at most `limit` problems. */
export function describeIssues(error: z.ZodError, prefix: readonly PropertyKey[] = [], limit = 5): string {
  const issues = error.issues.slice(0, limit).map((issue) => {
    const where = jsonPath([...prefix, ...issue.path]);
    return where ? `${where}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length > limit ? ` (and ${error.issues.length - limit} more)` : "";
  return `${issues.join("; ")}${more}`;
}

/** Parses a JSON body at the edge: the typed value, or a 400 naming each problem and where it is. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, apiCode = "invalid_body"): T {
  if (body === undefined) throw badInput("The request has no JSON body.", { apiCode });
  const result = schema.safeParse(body);
  if (!result.success) throw badInput(describeIssues(result.error), { apiCode });
  return result.data;
}
