import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import * as logModule from "../../src/log.ts";
import { registry } from "../../src/metrics.ts";
import { textDoc } from "../../src/reply/document.ts";
import { enqueuePost } from "../../src/data/outbox.ts";
import { drainOutbox } from "../../src/outbox/sender.ts";
import { slackFailureError } from "../../src/slack/slack-errors.ts";
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

describe("the outbox sender against Slack's refusals", () => {
  const docs = ["one", "two", "three", "four", "five"].map((word) => ({ key: `housekeeping-report:2026-11-23T09:00:00.000Z:${word}`, doc: textDoc(`finding ${word}`) }));
  const at = new Date("2026-11-23T09:00:00Z");

  /** One firing's messages queued, as a job queues them: a second queuing of the same keys changes nothing. */
  async function queueAll(channel: string, rows = docs): Promise<void> {
    await db.sequelize.transaction(async (transaction) => {
      for (const { key, doc } of rows) await enqueuePost(db, transaction, { key, channel, doc, at });
    });
  }
  const drain = () => drainOutbox({ db, messages, spacingMs: 0, leaseTtlMs: 5_000 });

  it("posts a firing's messages once however often it is queued and drained, and gives up a refused one with what to do", async () => {
    const calls = slack.callsTo("chat.postMessage").length;
    slack.queue("chat.postMessage", ok("C0HOUSE", "10.1"));
    slack.queue("chat.postMessage", ok("C0HOUSE", "10.2"));
    slack.queue("chat.postMessage", { body: { ok: false, error: "not_in_channel" } });
    await queueAll("C0HOUSE");
    const first = await drain();
    expect(first.failed).toHaveLength(1);
    expect(first.failed[0]).toMatchObject({ key: docs[2]!.key, method: "chat.postMessage", channel: "C0HOUSE" });
    const said = slackFailureError(first.failed[0]!.failure, first.failed[0]!).message;
    expect(said).toContain("not_in_channel");
    expect(said).toContain("/invite @embedops");
    const texts = slack.callsTo("chat.postMessage").slice(calls).filter((_, i) => i !== 2).map((c) => c.body.text);
    expect(texts).toEqual(["finding one", "finding two", "finding four", "finding five"]);

    // The same firing again (a takeover, an overlap): nothing is posted twice, the refused one is not tried again.
    await queueAll("C0HOUSE");
    expect((await drain()).failed).toHaveLength(0);
    expect(slack.callsTo("chat.postMessage").length - calls).toBe(5);
    expect(await db.models.OutboxMessage.count({ where: { channel: "C0HOUSE", state: "sent" } })).toBe(4);
    const refused = await db.models.OutboxMessage.findOne({ where: { key: docs[2]!.key } });
    expect(refused?.state).toBe("failed");
    expect(refused?.error).toContain("invite it there with /invite @embedops");
  });

  it("logs a permanent refusal once, with a hint that says what to do, and sends nothing there again", async () => {
    // The once-an-hour memory is the process's: this channel is refused in no other test file.
    const spy = vi.spyOn(logModule.log, "error");
    try {
      const rows = [0, 1, 2].map((i) => ({ key: `failure-alert:gone-${i}:post`, doc: textDoc("lost") }));
      for (let i = 0; i < rows.length; i++) slack.queue("chat.postMessage", { body: { ok: false, error: "channel_not_found" } });
      await queueAll("C0REFUSED", rows);
      const { failed } = await drain();
      expect(failed.map((f) => f.failure.code)).toEqual(["channel_not_found", "channel_not_found", "channel_not_found"]);
      expect(failed.every((f) => f.failure.hint?.includes("check the channel id"))).toBe(true);
      const lines = spy.mock.calls.filter((call) => JSON.stringify(call).includes("C0REFUSED"));
      expect(lines.length).toBe(1);
      expect(JSON.stringify(lines[0])).toContain("check the channel id");
      expect(await db.models.OutboxMessage.count({ where: { channel: "C0REFUSED", state: "sent" } })).toBe(0);
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
