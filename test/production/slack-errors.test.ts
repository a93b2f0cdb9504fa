import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import { EmbedopsError } from "../../src/errors.ts";
import * as logModule from "../../src/log.ts";
import { registry } from "../../src/metrics.ts";
import { textDoc } from "../../src/reply/document.ts";
import { postOnce } from "../../src/slack/post-once.ts";
import { createWebClient, webChannelMessages } from "../../src/slack/web-client.ts";
import type { ChannelMessages } from "../../src/reply/messages.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { FakeSlackApi } from "../support/slack-api.ts";

let slack: FakeSlackApi;
let messages: ChannelMessages;
let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  slack = await new FakeSlackApi().start();
  const config = loadConfig({ SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_SIGNING_SECRET: "s3cret-s3cret", SLACK_API_URL: slack.url, DATABASE_URL: "sqlite::memory:" });
  messages = webChannelMessages(createWebClient(config));
  testDb = await createTestDatabase();
  db = await testDb.open();
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
  await slack?.stop();
});

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

const ok = (channel: string, ts: string) => ({ body: { ok: true, channel, ts } });

describe("the Web API client's retries against the local Slack", () => {
  it("waits out a 429 with Retry-After and posts once it is allowed", async () => {
    const before = await counter("embedops_slack_api_retries_total", { reason: "rate_limited" });
    const calls = slack.callsTo("chat.postMessage").length;
    slack.queue("chat.postMessage", { status: 429, headers: { "retry-after": "1" }, body: { ok: false, error: "ratelimited" } });
    const ref = await messages.post("C0ALERTS", textDoc("after the rate limit"));
    expect(ref.ts).toMatch(/^\d+\.\d+$/);
    expect(slack.callsTo("chat.postMessage").length - calls).toBe(2);
    expect(await counter("embedops_slack_api_retries_total", { reason: "rate_limited" })).toBe(before + 1);
    expect(await counter("embedops_slack_api_errors_total", { kind: "rate_limited" })).toBeGreaterThanOrEqual(1);
  });

  it("retries a 500 and a 503 and then succeeds", async () => {
    const before = await counter("embedops_slack_api_retries_total", { reason: "server_error" });
    const calls = slack.callsTo("chat.update").length;
    slack.queue("chat.update", { status: 500, body: { ok: false, error: "internal_error" } });
    slack.queue("chat.update", { status: 503, body: { ok: false, error: "service_unavailable" } });
    await messages.update({ channel: "C0ALERTS", ts: "1.000100" }, textDoc("updated after two failures"));
    expect(slack.callsTo("chat.update").length - calls).toBe(3);
    expect(await counter("embedops_slack_api_retries_total", { reason: "server_error" })).toBe(before + 2);
  });

  it("does not retry Slack's own refusal", async () => {
    const calls = slack.callsTo("chat.postMessage").length;
    slack.queue("chat.postMessage", { body: { ok: false, error: "channel_not_found" } });
    await expect(messages.post("C0NOPE", textDoc("nowhere"))).rejects.toThrow(/channel_not_found/);
    expect(slack.callsTo("chat.postMessage").length - calls).toBe(1);
  });
});

describe("postOnce", () => {
  const docs = ["one", "two", "three", "four", "five"].map((word) => ({ key: `report|2026-11-23|${word}`, doc: textDoc(`finding ${word}`) }));

  async function postAll(): Promise<Array<{ posted: boolean }>> {
    const results = [];
    for (const { key, doc } of docs) results.push(await postOnce(db, messages, key, "C0HOUSE", doc));
    return results;
  }

  it("resumes a job that failed half-way through without posting anything twice", async () => {
    const calls = slack.callsTo("chat.postMessage").length;
    slack.queue("chat.postMessage", ok("C0HOUSE", "10.1"));
    slack.queue("chat.postMessage", ok("C0HOUSE", "10.2"));
    slack.queue("chat.postMessage", { body: { ok: false, error: "not_in_channel" } });
    const failure = await postAll().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EmbedopsError);
    expect((failure as Error).message).toContain("not_in_channel");
    expect((failure as Error).message).toContain("/invite @embedops");

    const second = await postAll();
    expect(second.map((r) => r.posted)).toEqual([false, false, true, true, true]);
    const texts = slack.callsTo("chat.postMessage").slice(calls).filter((_, i) => i !== 2).map((c) => c.body.text);
    expect(texts).toEqual(["finding one", "finding two", "finding three", "finding four", "finding five"]);

    const third = await postAll();
    expect(third.every((r) => !r.posted)).toBe(true);
    expect(slack.callsTo("chat.postMessage").length - calls).toBe(6);
    expect(await db.models.SlackPost.count({ where: { channel: "C0HOUSE" } })).toBe(5);
  });

  it("logs a permanent error once, with a hint that says what to do", async () => {
    const spy = vi.spyOn(logModule.log, "error");
    try {
      for (let i = 0; i < 3; i++) {
        slack.queue("chat.postMessage", { body: { ok: false, error: "channel_not_found" } });
        await expect(postOnce(db, messages, `alert|missing|${i}`, "C0GONE", textDoc("lost"))).rejects.toThrow(/check the channel id/);
      }
      const lines = spy.mock.calls.filter((call) => JSON.stringify(call).includes("C0GONE"));
      expect(lines.length).toBe(1);
      expect(JSON.stringify(lines[0])).toContain("check the channel id");
      expect(await db.models.SlackPost.count({ where: { channel: "C0GONE" } })).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("file uploads (files.uploadV2's steps, streamed)", () => {
  const dir = mkdtempSync(join(tmpdir(), "embedops-upload-test-"));
  const path = join(dir, "integrations.csv");
  writeFileSync(path, "Integration,Status\nHubSpot to CRM,enabled\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("uploads the bytes to the upload URL and shares the file in the channel, riding out a 500", async () => {
    slack.uploadAnswers.push({ status: 500 });
    const { fileId } = await messages.uploadFile!("C0OPS", { path, filename: "integrations.csv", title: "Integrations (1)", initialComment: "Export of 1 integration" });
    const upload = slack.uploads.get(fileId)!;
    expect(upload.bytes?.toString("utf8")).toBe("Integration,Status\nHubSpot to CRM,enabled\n");
    expect(upload).toMatchObject({ filename: "integrations.csv", length: 42, title: "Integrations (1)", channel: "C0OPS", initialComment: "Export of 1 integration" });
  });

  it("says to invite the bot when it is not in the channel", async () => {
    slack.queue("files.completeUploadExternal", { body: { ok: false, error: "not_in_channel" } });
    await expect(messages.uploadFile!("C0PRIVATE", { path, filename: "integrations.csv", title: "Integrations" })).rejects.toThrow(/not_in_channel.*invite it there with \/invite @embedops/);
  });
});
