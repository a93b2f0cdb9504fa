import type { Route } from "./http.ts";

const json = (schema: unknown) => ({ "application/json": { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string) => ({ description, content: json(ref("Error")) });

/** The errors every route may answer besides its own: a body too large, a wrong method. */
const COMMON_ERRORS = {
  "405": error("The path exists, the method does not (`method_not_allowed`)."),
  "413": error("The body is larger than 10 MB (`body_too_large`)."),
};

/** The embed API's JWT errors (401) and refusals, shared by its two routes. */
const EMBED_ERRORS = {
  "400": error("The body is not valid JSON (`invalid_json`) or breaks the schema (`invalid_body`, naming each problem and where), or `proprietary` disagrees with the configuration (`proprietary_mismatch`)."),
  "401": error("No or a bad end user JWT: `invalid_token`, `token_expired`, `token_not_yet_valid`, `missing_claim`, `invalid_claim`, `unknown_configuration`. The token is never echoed."),
  ...COMMON_ERRORS,
};

/** The OpenAPI 3.1 document of embedops's HTTP API, served at GET /api/openapi.json. */
const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "embedops HTTP API",
    version: "1",
    description:
      "Activation of integrations by embedding apps, run events from the flow engine, health and metrics. All bodies are JSON; errors answer `{\"error\": CODE, \"message\": TEXT}` with a 4xx status and change nothing. Any path not listed answers 404 (`not_found`); headers over 16 KB answer 431.",
  },
  servers: [{ url: "/", description: "The bot's HTTP server (PORT)." }],
  components: {
    securitySchemes: {
      endUserJwt: {
        type: "http",
        scheme: "bearer",
        bearerFormat: "JWT",
        description:
          "An end user's JWT, HS256, signed with the configuration's secret, or with the account secret where the configuration has one for the token's embed_account_id. Required claims embed_user_id, embed_account_id, exp, iat; optional embed_user_name, embed_account_name, embed_state.",
      },
      runsJwt: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A JWT, HS256, signed with RUNS_API_SECRET." },
    },
    schemas: {
      Error: {
        type: "object",
        required: ["error", "message"],
        properties: { error: { type: "string", description: "A stable code, e.g. invalid_token." }, message: { type: "string", description: "What is wrong, for a person." } },
      },
      ActivationRequest: {
        type: "object",
        required: ["flow_id"],
        properties: {
          flow_id: { type: "string", minLength: 1 },
          name: { type: "string" },
          connector_auths: {
            type: "array",
            items: {
              type: "object",
              required: ["connector_name"],
              properties: {
                connector_name: { type: "string", minLength: 1 },
                name: { type: "string", description: "Only for a second or later auth of the same connector by the same user (or account)." },
                proprietary: { type: "boolean" },
              },
            },
          },
        },
      },
      ConnectorAuth: {
        type: "object",
        required: ["id", "name", "connector_name", "proprietary", "created_at"],
        properties: { id: { type: "string" }, name: { type: "string" }, connector_name: { type: "string" }, proprietary: { type: "boolean" }, created_at: { type: "string", format: "date-time" } },
      },
      Integration: {
        type: "object",
        required: ["id", "name", "status", "flow_id", "configuration_id", "sharing_level", "embed_user_id", "embed_account_id", "created_at"],
        properties: {
          id: { type: "string" },
          name: { type: "string" },
          status: { type: "string", enum: ["enabled", "disabled"] },
          flow_id: { type: "string" },
          configuration_id: { type: "string" },
          sharing_level: { type: "string", enum: ["user", "account"] },
          embed_user_id: { type: "string" },
          embed_account_id: { type: "string" },
          embed_user_name: { type: ["string", "null"] },
          embed_account_name: { type: ["string", "null"] },
          embed_state: { description: "The token's embed_state, as given." },
          latest_run_status: { type: ["string", "null"], enum: ["success", "error", "running", "retrying", null] },
          created_at: { type: "string", format: "date-time" },
          connector_auths: { type: "array", items: ref("ConnectorAuth") },
        },
      },
      RunEvent: {
        type: "object",
        required: ["run_id", "integration_id", "status", "started_at"],
        properties: {
          run_id: { type: "string", minLength: 1, maxLength: 255 },
          integration_id: { type: "string", minLength: 1, maxLength: 255 },
          status: { type: "string", enum: ["success", "error", "running", "retrying"] },
          started_at: { type: "string", format: "date-time", description: "With a time zone; at most an hour ahead of the bot's clock (as finished_at)." },
          finished_at: { type: ["string", "null"], format: "date-time" },
          error: { type: ["string", "null"], description: "Any length; its first 10,000 characters are kept." },
          trigger: { type: ["string", "null"], enum: ["scheduler", "webhook", "manual", null] },
        },
      },
      RunsAccepted: {
        type: "object",
        required: ["count", "written", "ignored"],
        properties: {
          count: { type: "integer", description: "Events received." },
          written: { type: "integer", description: "Events that changed a run." },
          ignored: { type: "integer", description: "Events older than what is recorded (a finished run is never replaced by an older or unfinished report)." },
        },
      },
      Health: { type: "object", required: ["status", "database"], properties: { status: { type: "string", enum: ["ok", "unavailable"] }, database: { type: "string", enum: ["ok", "unreachable"] } } },
    },
  },
  paths: {
    "/api/embed/{configuration_id}/integrations": {
      post: {
        operationId: "activateIntegration",
        summary: "Activate the integration of a flow for the token's end user (sharing level user) or account (account), recording its connector auths.",
        security: [{ endUserJwt: [] }],
        parameters: [{ name: "configuration_id", in: "path", required: true, schema: { type: "string" } }],
        requestBody: { required: true, content: json(ref("ActivationRequest")) },
        responses: {
          "201": { description: "Activated for the first time.", content: json(ref("Integration")) },
          "200": { description: "Activated before: the existing integration, enabled again.", content: json(ref("Integration")) },
          "404": error("Unknown flow (`not_found`)."),
          ...EMBED_ERRORS,
        },
      },
    },
    "/api/embed/{configuration_id}/integrations/{id}/deactivate": {
      post: {
        operationId: "deactivateIntegration",
        summary: "Disable an integration; the token must be of its own user (sharing level user) or account (account).",
        security: [{ endUserJwt: [] }],
        parameters: [
          { name: "configuration_id", in: "path", required: true, schema: { type: "string" } },
          { name: "id", in: "path", required: true, schema: { type: "string" } },
        ],
        responses: {
          "200": { description: "Disabled.", content: json(ref("Integration")) },
          "403": error("The token is of another user or account (`denied`)."),
          "404": error("No such integration in this configuration (`not_found`)."),
          ...EMBED_ERRORS,
        },
      },
    },
    "/api/runs": {
      post: {
        operationId: "recordRuns",
        summary: "Upsert flow runs by run_id and update each integration's latest run; one invalid event rejects the whole batch.",
        security: [{ runsJwt: [] }],
        requestBody: { required: true, content: json({ oneOf: [ref("RunEvent"), { type: "array", items: ref("RunEvent"), minItems: 1, maxItems: 1000 }] }) },
        responses: {
          "202": { description: "Recorded.", content: json(ref("RunsAccepted")) },
          "400": error("Not JSON (`invalid_json`), or an invalid event (`invalid_run_event`, naming its index: `[3].status: …`)."),
          "401": error("No or a bad JWT (`invalid_token`, `token_expired`, …), or RUNS_API_SECRET is not set (`runs_api_not_configured`)."),
          ...COMMON_ERRORS,
        },
      },
    },
    "/healthz": {
      get: {
        operationId: "health",
        summary: "Whether the database answers within 2 s.",
        security: [],
        responses: {
          "200": { description: "Healthy.", content: json(ref("Health")) },
          "503": { description: "The database does not answer.", content: json(ref("Health")) },
          "405": COMMON_ERRORS["405"],
        },
      },
    },
    "/metrics": {
      get: {
        operationId: "metrics",
        summary: "Prometheus text: commands, denials, runs triggered, job runs and durations, HTTP requests.",
        security: [],
        responses: { "200": { description: "Prometheus exposition format.", content: { "text/plain": { schema: { type: "string" } } } }, "405": COMMON_ERRORS["405"] },
      },
    },
    "/api/openapi.json": {
      get: {
        operationId: "openapi",
        summary: "This document.",
        security: [],
        responses: { "200": { description: "The OpenAPI 3.1 document.", content: json({ type: "object" }) }, "405": COMMON_ERRORS["405"] },
      },
    },
  },
} as const;

/** GET /api/openapi.json: the OpenAPI document of this API. */
export function openApiRoute(): Route {
  return {
    method: "GET",
    path: "/api/openapi.json",
    async handle() {
      return { status: 200, body: OPENAPI_DOCUMENT };
    },
  };
}
