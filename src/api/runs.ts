import { addMinutes } from "date-fns";
import { z } from "zod";
import { recordRunBatch, RunRejected, type RunInput } from "../data/flow-runs.ts";
import { badInput } from "../errors.ts";
import { log } from "../log.ts";
import { announceRunOutcomes } from "../runner/run-outcome.ts";
import type { Runtime } from "../runtime.ts";
import { describeIssues } from "./body.ts";
import type { Route } from "./http.ts";
import { verifyRunsToken } from "./jwt.ts";

/** The most run events one request may carry. */
const MAX_RUN_EVENTS = 1000;

const id = z
  .string()
  .min(1, "must not be empty")
  .max(255)
  // Ids are looked up and shown everywhere: control characters (NUL included) are refused, tab and newline aside.
  .refine((value) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value), "must not contain control characters");
const instant = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time with a time zone, e.g. 2026-11-20T10:00:00Z" });

/**
 * How far ahead of the bot's clock a run's times may be (the engine's clock may run a little fast). A run dated
 * later would stay the integration's latest run, and its health "healthy", until that date comes.
 */
const MAX_AHEAD_MINUTES = 60;

/** The characters of a run's error that are stored. */
const MAX_ERROR_LENGTH = 10_000;

/** One run event as the flow engine reports it. */
const runEvent = z
  .object({
    run_id: id,
    integration_id: id,
    status: z.enum(["success", "error", "running", "retrying"]),
    started_at: instant,
    finished_at: instant.nullish(),
    // A NUL would cut the ingest statement's text short on SQLite: dropped here, so any error text is kept otherwise.
    // A longer error (a stack trace) is kept by its first MAX_ERROR_LENGTH characters, not refused with its run.
    error: z
      .string()
      .transform((text) => {
        const kept = text.replaceAll("\u0000", "");
        return kept.length > MAX_ERROR_LENGTH ? `${kept.slice(0, MAX_ERROR_LENGTH - 1)}…` : kept;
      })
      .nullish(),
    trigger: z.enum(["scheduler", "webhook", "manual"]).nullish(),
  })
  .refine((event) => !event.finished_at || Date.parse(event.finished_at) >= Date.parse(event.started_at), {
    message: "must not be before started_at",
    path: ["finished_at"],
  });

/** A run event, parsed. */
type RunEvent = z.infer<typeof runEvent>;

function toRunInput(event: RunEvent): RunInput {
  return {
    id: event.run_id,
    integrationId: event.integration_id,
    status: event.status,
    trigger: event.trigger ?? undefined,
    startedAt: new Date(event.started_at),
    finishedAt: event.finished_at ? new Date(event.finished_at) : null,
    error: event.error ?? null,
  };
}

/**
 * Parses one event or a batch as a whole: every problem is named by its index (`[3].status: …`), and any
 * problem rejects the batch. A single event (not an array) is named without an index.
 */
function parseRunEvents(body: unknown, now: Date): { inputs: RunInput[]; batch: boolean } {
  if (body === undefined) throw badInput("The request has no JSON body: send one run event or an array of them.", { apiCode: "invalid_run_event" });
  const batch = Array.isArray(body);
  const events: unknown[] = batch ? (body as unknown[]) : [body];
  if (batch && events.length === 0) throw badInput("The batch is empty: send at least one run event.", { apiCode: "invalid_run_event" });
  if (events.length > MAX_RUN_EVENTS) {
    throw badInput(`The batch has ${events.length} run events; at most ${MAX_RUN_EVENTS} are accepted per request.`, { apiCode: "batch_too_large" });
  }
  const problems: string[] = [];
  const inputs: RunInput[] = [];
  const latest = addMinutes(now, MAX_AHEAD_MINUTES);
  for (let index = 0; index < events.length && problems.length < 5; index++) {
    const result = runEvent.safeParse(events[index]);
    if (!result.success) {
      problems.push(describeIssues(result.error, batch ? [index] : [], 3));
      continue;
    }
    const input = toRunInput(result.data);
    const ahead = input.finishedAt && input.finishedAt > latest ? "finished_at" : input.startedAt > latest ? "started_at" : undefined;
    if (ahead) problems.push(`${batch ? `[${index}].` : ""}${ahead}: is more than ${MAX_AHEAD_MINUTES} minutes ahead of the bot's clock (${now.toISOString()})`);
    else inputs.push(input);
  }
  if (problems.length) throw badInput(problems.join("; "), { apiCode: "invalid_run_event" });
  return { inputs, batch };
}

/** POST /api/runs: the flow engine reports runs, one event or a batch, stored in one transaction (202). */
export function runsRoute(runtime: Runtime): Route {
  return {
    method: "POST",
    path: "/api/runs",
    async handle(request) {
      const secret = runtime.config.runsApiSecret;
      if (!secret) {
        // The contract answers every API error with a 4xx: with no secret, no token can verify.
        return { status: 401, body: { error: "runs_api_not_configured", message: "Run events are not accepted: RUNS_API_SECRET is not set on the bot." } };
      }
      const now = runtime.clock.now();
      await verifyRunsToken(secret, request.headers, now);
      const { inputs, batch } = parseRunEvents(request.body, now);
      let result;
      try {
        result = await recordRunBatch(runtime.db, inputs, now);
      } catch (error) {
        if (error instanceof RunRejected) {
          throw badInput(`${batch ? `[${error.index}].` : ""}${error.field}: ${error.message}`, { apiCode: "invalid_run_event" });
        }
        throw error;
      }
      if (result.changedManualRuns.length) {
        // The runs are stored; a Slack update that fails must not make the engine send them again.
        await announceRunOutcomes(runtime, result.changedManualRuns).catch((error: unknown) => log.error({ err: error }, "announcing run outcomes failed"));
      }
      log.debug({ count: inputs.length, written: result.written, ignored: result.ignored }, "run events recorded");
      return { status: 202, body: { count: inputs.length, written: result.written, ignored: result.ignored } };
    },
  };
}
