import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "../support/database.ts";
import { startWorldBot, type TestBot } from "../support/bot.ts";
import { testToken } from "./tokens.ts";

const RUNS_SECRET = "runs-api-secret-for-the-openapi-test-0123456789";
let testDb: TestDatabase;
let t: TestBot;
type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>; components: { schemas: Record<string, unknown> } };
let doc: Doc;

beforeAll(async () => {
  ({ testDb, t } = await startWorldBot({ env: { RUNS_API_SECRET: RUNS_SECRET } }));
  doc = (await (await fetch(`${t.baseUrl}/api/openapi.json`)).json()) as Doc;
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

const now = () => Math.floor(Date.now() / 1000);
const endUser = (claims: Record<string, unknown> = {}) => testToken({ secret: "cfg-1-secret-value", now: now(), claims: { embed_user_id: "u_new", embed_account_id: "acc_new", ...claims } });
const runsToken = () => testToken({ secret: RUNS_SECRET, now: now() });

/** Requests that exercise each documented operation: [path template, method, url path, init]. */
async function samples(): Promise<Array<[string, string, string, RequestInit]>> {
  const post = (body: unknown, token?: string): RequestInit => ({ method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const activate = "/api/embed/{configuration_id}/integrations";
  const deactivate = "/api/embed/{configuration_id}/integrations/{id}/deactivate";
  const user = await endUser();
  return [
    [activate, "post", "/api/embed/cfg_1/integrations", post({ flow_id: "flow_1" }, user)],
    [activate, "post", "/api/embed/cfg_1/integrations", post({ flow_id: "flow_1" }, user)],
    [activate, "post", "/api/embed/cfg_1/integrations", post({ flow_id: "no_such_flow" }, user)],
    [activate, "post", "/api/embed/cfg_1/integrations", post({ flow: 1 }, user)],
    [activate, "post", "/api/embed/cfg_1/integrations", post("{not json", user)],
    [activate, "post", "/api/embed/cfg_1/integrations", post({ flow_id: "flow_1" })],
    [activate, "get", "/api/embed/cfg_1/integrations", {}],
    [deactivate, "post", "/api/embed/cfg_1/integrations/int_1/deactivate", post({}, user)],
    [deactivate, "post", "/api/embed/cfg_1/integrations/nope/deactivate", post({}, user)],
    [deactivate, "post", "/api/embed/cfg_1/integrations/int_1/deactivate", post({}, await endUser({ embed_user_id: "u_int_1", embed_account_id: "acc_int_1" }))],
    [deactivate, "post", "/api/embed/cfg_1/integrations/int_1/deactivate", post({})],
    ["/api/runs", "post", "/api/runs", post({ run_id: "r1", integration_id: "int_1", status: "success", started_at: "2026-11-20T10:00:00Z", finished_at: "2026-11-20T10:01:00Z" }, await runsToken())],
    ["/api/runs", "post", "/api/runs", post([{ run_id: "r2", integration_id: "int_1", status: "bogus", started_at: "x" }], await runsToken())],
    ["/api/runs", "post", "/api/runs", post([])],
    ["/api/runs", "post", "/api/runs", post("x".repeat(10 * 1024 * 1024 + 1), await runsToken())],
    ["/api/runs", "get", "/api/runs", {}],
    ["/healthz", "get", "/healthz", {}],
    ["/healthz", "post", "/healthz", { method: "POST" }],
    ["/metrics", "get", "/metrics", {}],
    ["/api/openapi.json", "get", "/api/openapi.json", {}],
  ];
}

describe("GET /api/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("documents every route the server answers", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(
      ["POST /api/embed/{configuration_id}/integrations", "POST /api/embed/{configuration_id}/integrations/{id}/deactivate", "POST /api/runs", "GET /healthz", "GET /metrics", "GET /api/openapi.json"].sort(),
    );
  });

  it("matches what each route answers: a documented status, content type and body", async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: "doc", components: doc.components });
    const seen = new Set<string>();
    for (const [template, method, path, init] of await samples()) {
      const response = await fetch(`${t.baseUrl}${path}`, init);
      const status = String(response.status);
      // A method the path does not have is answered as every path documents it: 405 with the error body.
      const operation = doc.paths[template]![method] ?? doc.paths[template]![Object.keys(doc.paths[template]!)[0]!]!;
      const documented = operation.responses[status];
      expect(documented, `${method.toUpperCase()} ${path} answered ${status}, not documented`).toBeDefined();
      seen.add(`${template} ${method} ${status}`);
      const [type, media] = Object.entries(documented!.content ?? {})[0] ?? [];
      if (!type) continue;
      expect(response.headers.get("content-type"), path).toContain(type);
      if (type !== "application/json") continue;
      const body: unknown = await response.json();
      const schema = JSON.parse(JSON.stringify(media!.schema).replace(/"#\/components/g, '"doc#/components'));
      const validate = ajv.compile(schema);
      expect(validate(body), `${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`).toBe(true);
    }
    // The samples reached the documented successes and the main refusals.
    for (const expected of ["/api/embed/{configuration_id}/integrations post 201", "/api/embed/{configuration_id}/integrations post 200", "/api/embed/{configuration_id}/integrations post 401", "/api/embed/{configuration_id}/integrations post 400", "/api/embed/{configuration_id}/integrations post 404", "/api/embed/{configuration_id}/integrations/{id}/deactivate post 200", "/api/embed/{configuration_id}/integrations/{id}/deactivate post 403", "/api/runs post 202", "/api/runs post 400", "/api/runs post 401", "/api/runs post 413", "/healthz get 200", "/metrics get 200"])
      expect(seen, expected).toContain(expected);
  }, 60_000);
});
