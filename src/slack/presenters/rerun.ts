import type { IntegrationRow } from "../../data/integrations.ts";
import type { Block, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { ago, truncate } from "./format.ts";

/** How many integrations a confirmation or summary names one by one. */
const NAMED = 10;

/** What `rerun failing` asks before it sends anything. */
interface RerunConfirmationView {
  /** Enabled integrations in the caller's run scope whose latest run failed. */
  total: number;
  /** The first few of them, to see what would run. */
  sample: IntegrationRow[];
  /** At most this many are re-run by one confirmation. */
  limit: number;
  filterText: string;
  /** The command of the `Re-run N integrations` button: the same filters and the confirm flag. */
  confirmCommand: string;
  now: Date;
}

/** The confirmation of `rerun failing`: the count, a few names, and one `Re-run N integrations` button. */
export function presentRerunConfirmation(view: RerunConfirmationView): Doc {
  const filters = view.filterText ? ` matching \`${escapeMarkup(view.filterText)}\`` : "";
  if (view.total === 0) {
    const text = `No enabled integration you may run${filters} has a failed latest run: nothing to re-run.`;
    return { text: text.replace(/`/g, ""), blocks: [{ type: "section", text }] };
  }
  const count = Math.min(view.total, view.limit);
  const noun = count === 1 ? "integration" : "integrations";
  const blocks: Block[] = [
    {
      type: "section",
      text: `*${view.total}* enabled integration${view.total === 1 ? "" : "s"} you may run${filters} ${view.total === 1 ? "has" : "have"} a failed latest run.` +
        (view.total > view.limit ? ` One confirmation re-runs the first ${view.limit}; run the command again for the rest.` : "") +
        " Each re-run is a billed flow run; four are sent at a time.",
    },
    {
      type: "table",
      columns: ["Integration", "Failed", "Latest error"],
      rows: view.sample.slice(0, NAMED).map((row) => [
        `${escapeMarkup(truncate(row.name, 60))} (${row.id})`,
        `${row.failuresInRow}× · ${ago(row.latestRunAt, view.now)}`,
        row.latestRunError ? escapeMarkup(truncate(row.latestRunError, 80)) : "",
      ]),
    },
  ];
  if (view.total > NAMED) blocks.push({ type: "context", text: `… and ${view.total - NAMED} more.` });
  blocks.push({ type: "actions", buttons: [{ label: `Re-run ${count} ${noun}`, command: view.confirmCommand, style: "primary" }] });
  return { text: `${view.total} failing integrations can be re-run: confirm to re-run ${count}.`, blocks };
}

/** One integration that a bulk re-run did not send, and why. */
export interface RerunSkip {
  id: string;
  name: string;
  reason: string;
}

/** One integration whose re-run failed, and the error. */
export interface RerunFailure {
  id: string;
  name: string;
  error: string;
}

/** Where a bulk re-run stands. */
export interface RerunSummaryView {
  /** Who asked, in markup. */
  requester: string;
  filterText: string;
  total: number;
  requested: number;
  succeeded: number;
  failed: number;
  /** Accepted by the flow engine, outcome reported later. */
  running: number;
  skipped: RerunSkip[];
  failures: RerunFailure[];
  done: boolean;
}

/** The one summary message of `rerun failing`, updated as the runs finish. */
export function presentRerunSummary(view: RerunSummaryView): Doc {
  const filters = view.filterText ? ` (\`${escapeMarkup(view.filterText)}\`)` : "";
  const state = view.done ? ":checkered_flag: Re-run finished" : ":arrows_counterclockwise: Re-running";
  const counts = [
    `*${view.requested}* requested`,
    `*${view.succeeded}* succeeded`,
    `*${view.failed}* failed`,
    `*${view.running}* running`,
    `*${view.skipped.length}* skipped`,
  ].join(" · ");
  const blocks: Block[] = [
    { type: "section", text: `${state}: ${view.total} failing integration${view.total === 1 ? "" : "s"}${filters}, requested by ${view.requester}.` },
    { type: "section", text: `${counts}${view.done ? "" : ` · ${view.total - view.requested - view.skipped.length} waiting`}` },
  ];
  if (view.failures.length) {
    blocks.push({
      type: "section",
      text: `*Failed again:*\n${view.failures.slice(0, NAMED).map((failure) => `• ${escapeMarkup(truncate(failure.name, 60))} (\`${failure.id}\`): ${escapeMarkup(truncate(failure.error, 150))}`).join("\n")}` +
        (view.failures.length > NAMED ? `\n… and ${view.failures.length - NAMED} more.` : ""),
    });
  }
  if (view.skipped.length) {
    blocks.push({
      type: "context",
      text: `Skipped: ${view.skipped.slice(0, NAMED).map((skip) => `${escapeMarkup(truncate(skip.name, 40))} (${skip.id}): ${skip.reason}`).join("; ")}${view.skipped.length > NAMED ? `; … and ${view.skipped.length - NAMED} more` : ""}.`,
    });
  }
  if (view.done && view.running) blocks.push({ type: "context", text: "Runs still `running` were accepted by the flow engine; their outcome shows in `runs ID`." });
  return {
    text: `${view.done ? "Re-run finished" : "Re-running"}: ${view.requested} requested, ${view.succeeded} succeeded, ${view.failed} failed, ${view.running} running, ${view.skipped.length} skipped`,
    blocks,
  };
}
