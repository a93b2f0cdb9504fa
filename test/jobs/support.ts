import { COMMANDS } from "../../commands/index.ts";
import { FakeClock } from "../../src/clock.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import type { Database } from "../../src/data/database.ts";
import type { RunStatus } from "../../src/data/models/index.ts";
import { findOperatorByEmail, operatorActor } from "../../src/data/operators.ts";
import type { RunInput } from "../../src/data/flow-runs.ts";
import type { Actor } from "../../src/domain/permissions.ts";
import { openRuntime, type Runtime } from "../../src/runtime.ts";
import type { ChannelMessages, MessageRef } from "../../src/reply/messages.ts";
import type { Doc } from "../../src/reply/document.ts";

/** The instant the housekeeping tests look from. */
export const NOW = new Date("2026-11-20T12:00:00Z");

/** One day in milliseconds. */
export const DAY = 86_400_000;

/** `days` days (and `ms` more) before NOW. */
export function daysAgo(days: number, ms = 0): Date {
  return new Date(NOW.getTime() - days * DAY - ms);
}

/** Runs of one integration, oldest first, one hour apart, the last starting at `lastAt`. */
export function runSeries(integrationId: string, statuses: RunStatus[], lastAt: Date, error = "401 from HubSpot"): RunInput[] {
  return statuses.map((status, i) => {
    const startedAt = new Date(lastAt.getTime() - (statuses.length - 1 - i) * 3_600_000);
    return {
      id: `${integrationId}_r${i}`,
      integrationId,
      status,
      trigger: "scheduler",
      startedAt,
      finishedAt: new Date(startedAt.getTime() + 60_000),
      error: status === "error" ? error : null,
    };
  });
}

/** A message a job posted, as recorded. */
interface Posted {
  channel: string;
  doc: Doc;
  threadTs?: string;
  ts: string;
}

/** Channel messages that only record what was posted. */
export function recordingMessages(): ChannelMessages & { posted: Posted[] } {
  const posted: Posted[] = [];
  let counter = 0;
  return {
    posted,
    async post(channel, doc, options): Promise<MessageRef> {
      const ts = `ts.${++counter}`;
      posted.push({ channel, doc, threadTs: options?.threadTs, ts });
      return { channel, ts };
    },
    async update() {},
  };
}

/** A configuration for a test database, silent, with the housekeeping channel set. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: "silent", HOUSEKEEPING_CHANNEL: "C0HOUSE", PRICE_PER_RUN: "0.5", ...env });
}

/** A runtime on an already open database, with a fake clock at NOW and recorded messages. */
export async function testRuntime(db: Database, url: string, env: Record<string, string> = {}) {
  const clock = new FakeClock(NOW);
  const messages = recordingMessages();
  const runtime: Runtime = await openRuntime(testConfig(url, env), { db, clock, messages, commands: COMMANDS });
  return { runtime, clock, messages };
}

/** The operator with this email, as an actor. */
export async function actorFor(db: Database, email: string): Promise<Actor> {
  const operator = await findOperatorByEmail(db, email);
  if (!operator) throw new Error(`no operator ${email}`);
  return operatorActor(db, operator);
}

/** Every integration id shown in a document's text, as `int_…` in backticks or in parentheses. */
export function idsIn(text: string, prefix: string): string[] {
  return [...new Set([...text.matchAll(new RegExp(`\\b(${prefix}[A-Za-z0-9_]*)`, "g"))].map((m) => m[1]!))].sort();
}
