import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "../support/database.ts";
import { eventually, startWorldBot, type TestBot } from "../support/bot.ts";
import { WORLD } from "../support/fixtures.ts";
import { postSigned, slashCommandForm } from "../support/slack-request.ts";

let testDb: TestDatabase;
let t: TestBot;

beforeAll(async () => {
  ({ testDb, t } = await startWorldBot());
});

afterAll(async () => {
  await t?.stop().catch(() => undefined);
  await testDb?.drop();
});

async function metrics(): Promise<string> {
  const response = await fetch(`${t.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return response.text();
}

/** The value of one sample line, e.g. `embedops_commands_total{command="list",outcome="ok"}`; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("GET /healthz", () => {
  it("answers 200 while the database answers", async () => {
    const response = await fetch(`${t.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "ok" });
  });
});

describe("GET /metrics", () => {
  it("exposes commands by name and outcome, denials, API requests by route and status, and the process defaults", async () => {
    const before = await metrics();
    await postSigned(t.baseUrl, slashCommandForm("list", WORLD.operators.admin.slack, t.slack.responseUrl("m1")));
    await eventually(() => t.slack.responses.find((r) => r.method === "/response/m1"));
    await postSigned(t.baseUrl, slashCommandForm("audit", WORLD.operators.viewer.slack, t.slack.responseUrl("m2")));
    await eventually(() => t.slack.responses.find((r) => r.method === "/response/m2"));
    await fetch(`${t.baseUrl}/healthz`);
    await fetch(`${t.baseUrl}/no/such/route`);
    const after = await metrics();

    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta("embedops_commands_total", { command: "list", outcome: "ok" })).toBe(1);
    expect(delta("embedops_commands_total", { command: "audit", outcome: "denied" })).toBe(1);
    expect(delta("embedops_denials_total", { command: "audit", reason: "not_admin" })).toBe(1);
    expect(delta("embedops_api_requests_total", { route: "GET /healthz", status: "200" })).toBe(1);
    expect(delta("embedops_api_requests_total", { route: "unmatched", status: "404" })).toBe(1);
    expect(delta("embedops_api_requests_total", { route: "POST /slack/events", status: "200" })).toBe(2);
    for (const name of [
      "embedops_run_requests_total", "embedops_job_runs_total", "embedops_job_duration_seconds", "embedops_slack_api_errors_total",
      "embedops_slack_api_retries_total", "embedops_exports_total", "embedops_app_home_publishes_total",
    ]) {
      expect(after).toContain(`# TYPE ${name} `);
    }
    expect(after).toMatch(/^embedops_process_resident_memory_bytes \d+/m);
    expect(after).toMatch(/^embedops_nodejs_eventloop_lag_seconds /m);
  });
});

describe("manifest.yml", () => {
  const manifest = readFileSync(join(import.meta.dirname, "../../manifest.yml"), "utf8");
  const lines = manifest.split("\n").map((line) => line.replace(/\s+#.*$/, "")).filter((line) => !line.trimStart().startsWith("#"));

  /** The items of the YAML list under `key:` (indented `- item` lines that follow it). */
  function listUnder(key: string): string[] {
    const start = lines.findIndex((line) => line.trim() === `${key}:`);
    expect(start, key).toBeGreaterThanOrEqual(0);
    const items: string[] = [];
    for (const line of lines.slice(start + 1)) {
      const item = /^\s+- (.+)$/.exec(line);
      if (!item) break;
      items.push(item[1]!.trim());
    }
    return items;
  }

  function value(key: string): string | undefined {
    return lines.map((line) => new RegExp(`^\\s*${key}: (.+)$`).exec(line)?.[1]?.trim()).find((v) => v !== undefined);
  }

  it("declares the slash command with escaping, the bot scopes, the Home tab, interactivity, app_home_opened and Socket Mode", () => {
    expect(manifest).toContain("- command: /integrations");
    expect(value("should_escape")).toBe("true");
    expect(listUnder("bot").sort()).toEqual(["chat:write", "commands", "files:write", "usergroups:read", "users:read", "users:read.email"]);
    expect(listUnder("bot_events")).toEqual(["app_home_opened"]);
    expect(value("home_tab_enabled")).toBe("true");
    expect(value("is_enabled")).toBe("true");
    expect(value("socket_mode_enabled")).toBe("true");
  });
});

// Last: it closes this file's database (models are bound to one connection per process).
describe("GET /healthz when the database is gone", () => {
  it("answers 503", async () => {
    await t.bot.runtime.db.sequelize.close();
    const response = await fetch(`${t.baseUrl}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "unavailable", database: "unreachable" });
  });
});
