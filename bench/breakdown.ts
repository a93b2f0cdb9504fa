import { COMMANDS } from "../commands/index.ts";
import { Writable } from "node:stream";
import { loadConfig } from "../src/config.ts";
import { consoleMessages } from "../src/console.ts";
import { openDatabase } from "../src/data/database.ts";
import { openRuntime } from "../src/runtime.ts";
import { toBlockKit } from "../src/slack/block-kit.ts";
import { resolveSlackActor, type SlackDirectory } from "../src/slack/identity.ts";
import type { CommandKind } from "./drive.ts";
import type { ScaleDatabase } from "./scale-db.ts";
import { elapsedMs, summarise } from "./stats.ts";

interface QueryTiming {
  sql: string;
  ms: number;
}

/**
 * Where the time of one request goes inside the bot, measured in this process on the same database: resolving
 * the Slack user to an operator, the dispatcher (policy, query, presenter), and turning the answer into Block Kit
 * JSON; with the SQL time Sequelize reports for each statement, and the plan of the slowest one.
 * What is left of the end-to-end figure is HTTP, Bolt and the response_url post.
 */
export async function timeBreakdown(scale: ScaleDatabase, kinds: CommandKind[], iterations: number, budgetSeconds = 15): Promise<string[]> {
  const db = openDatabase(`sqlite:${scale.path}`);
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const config = loadConfig({ DATABASE_URL: `sqlite:${scale.path}`, LOG_LEVEL: "silent" });
  const runtime = await openRuntime(config, { db, messages: consoleMessages(sink, config.slashCommand), commands: COMMANDS });
  // The bench's users are linked to operators: Slack's directory is never asked.
  const directory: SlackDirectory = { emailOf: async () => undefined, membersOf: async () => [] };
  let queries: QueryTiming[] = [];
  // Sequelize reads these per query; its types do not show them.
  const sequelizeOptions = (db.sequelize as unknown as { options: { benchmark: boolean; logging: false | ((sql: string, timing?: number) => void) } }).options;
  sequelizeOptions.benchmark = true;
  sequelizeOptions.logging = (sql: string, timing?: number) => queries.push({ sql, ms: timing ?? 0 });
  const lines = [
    `Time breakdown inside the bot (in-process, up to ${iterations} requests of each or ${budgetSeconds} s, medians; SQL is the sum of`,
    "statement times as Sequelize reports them, waits for the one SQLite connection included, so it can exceed the dispatcher's own time):",
  ];
  try {
    for (const kind of kinds) {
      const actorMs: number[] = [];
      const handleMs: number[] = [];
      const sqlMs: number[] = [];
      const renderMs: number[] = [];
      let statements = 0;
      let slowest: QueryTiming = { sql: "", ms: -1 };
      const kindStart = process.hrtime.bigint();
      for (let n = 0; n < iterations + 3; n++) {
        if (n >= 8 && elapsedMs(kindStart) > budgetSeconds * 1000) break;
        queries = [];
        let start = process.hrtime.bigint();
        const actor = await resolveSlackActor(db, directory, kind.user);
        const actorTime = elapsedMs(start);
        const actorQueries = queries.length;
        start = process.hrtime.bigint();
        const reply = await runtime.dispatcher.handle(kind.text(n), actor, { transport: "slack", channelId: "C0OPS", responseUrl: "http://127.0.0.1:9/response" });
        const handleTime = elapsedMs(start);
        start = process.hrtime.bigint();
        const rendered = toBlockKit(reply.doc);
        JSON.stringify({ response_type: reply.visibility, text: rendered.text, blocks: rendered.blocks });
        const renderTime = elapsedMs(start);
        if (n < 3) continue;
        const handleQueries = queries.slice(actorQueries);
        actorMs.push(actorTime);
        handleMs.push(handleTime);
        renderMs.push(renderTime);
        sqlMs.push(handleQueries.reduce((total, query) => total + query.ms, 0));
        statements = handleQueries.length;
        for (const query of handleQueries) if (query.ms > slowest.ms) slowest = query;
      }
      const m = (values: number[]) => summarise(values).median.toFixed(2);
      lines.push(
        `  ${kind.label} (n=${handleMs.length}): operator lookup ${m(actorMs)} ms; dispatcher ${m(handleMs)} ms, of which SQL ${m(sqlMs)} ms in ${statements} statements; Block Kit + JSON ${m(renderMs)} ms`,
      );
      if (slowest.ms >= 0) {
        const sql = slowest.sql.replace(/^Execut(?:ing|ed) \([^)]*\): /, "");
        lines.push(`    slowest statement (${slowest.ms} ms): ${sql.length > 400 ? `${sql.slice(0, 400)}…` : sql}`);
        const plan = (await db.sequelize.query(`EXPLAIN QUERY PLAN ${sql}`, { logging: false }))[0] as Array<{ detail: string }>;
        lines.push(`    its plan: ${plan.map((row) => row.detail).join(" | ")}`);
      }
    }
  } finally {
    sequelizeOptions.logging = false;
    await runtime.close();
    await db.close();
  }
  return lines;
}
