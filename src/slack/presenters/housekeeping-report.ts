import { COST_WINDOW_DAYS, SNOOZE_DAYS, type FindingKind, type ReportTotals } from "../../domain/housekeeping.ts";
import type { Block, Button, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { formatTime, link, money, truncate } from "./format.ts";

/** Slack shows at most this many blocks in one message. */
const MAX_BLOCKS = 50;

/** One finding as the report shows it. */
export interface ReportFinding {
  integrationId: string;
  name: string;
  flowName: string;
  flowUrl: string | null;
  groupId: string;
  groupName: string;
  groupKind: "group" | "partner";
  configurationId: string;
  configurationName: string;
  accountId: string;
  userId: string;
  kind: FindingKind;
  reason: string;
  runs30d: number;
  cost: number;
  /** First reported by this report. */
  isNew: boolean;
  /** Show Disable / Snooze (a click is checked again for whoever clicks). */
  showButtons: boolean;
}

/** One group's line in the summary. */
export interface ReportGroup {
  groupId: string;
  groupName: string;
  groupKind: string;
  failing: number;
  stale: number;
  overdue: number;
  runs30d: number;
  cost: number;
}

/** What the housekeeping report shows: its findings (grouped by group), totals, and what it left out. */
export interface HousekeepingReportView {
  /** The findings detailed, in report order (possibly the first of more). */
  findings: ReportFinding[];
  /** Every group with findings, in report order, with its counts. */
  groups: ReportGroup[];
  totals: ReportTotals;
  /** Findings counted in the totals but not detailed (a very long report). */
  omitted: number;
  currency: string;
  /** False when PRICE_PER_RUN is 0: the report counts runs and says nothing of money. */
  priced: boolean;
  /** Findings left out because a snooze still holds. */
  snoozed: number;
  /** AUTO_DISABLE_AFTER_DAYS, when on: the header says what will happen. */
  autoDisableAfterDays?: number;
  /** Says whose view this is, for the `stale` command ("for the groups you may view"). */
  scopeNote?: string;
}

/** The report's messages: a summary, and the details in its thread (empty when everything fits in one). */
interface ReportMessages {
  summary: Doc;
  thread: Doc[];
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

function plural(value: number, word: string): string {
  return `${count(value)} ${word}${value === 1 ? "" : "s"}`;
}

function headline(totals: ReportTotals): string {
  return `Housekeeping: ${count(totals.failing)} failing, ${count(totals.stale)} stale${totals.overdue ? `, ${count(totals.overdue)} overdue` : ""}`;
}

/** Groups findings in report order: by group name, failing before stale, then by id. */
function groupFindings(findings: ReportFinding[]): Array<{ groupId: string; groupName: string; groupKind: string; findings: ReportFinding[] }> {
  const byGroup = new Map<string, { groupId: string; groupName: string; groupKind: string; findings: ReportFinding[] }>();
  for (const finding of findings) {
    const group = byGroup.get(finding.groupId) ?? { groupId: finding.groupId, groupName: finding.groupName, groupKind: finding.groupKind, findings: [] };
    group.findings.push(finding);
    byGroup.set(finding.groupId, group);
  }
  const kindOrder = (kind: FindingKind) => ["failing", "stale", "overdue"].indexOf(kind);
  return [...byGroup.values()]
    .sort((a, b) => a.groupName.localeCompare(b.groupName) || a.groupId.localeCompare(b.groupId))
    .map((group) => ({
      ...group,
      findings: group.findings.sort((a, b) => kindOrder(a.kind) - kindOrder(b.kind) || a.integrationId.localeCompare(b.integrationId)),
    }));
}

/** The summary blocks: totals, what disabling would save, one line per group, what was left out. */
function summaryBlocks(view: HousekeepingReportView): Block[] {
  const { totals } = view;
  const blocks: Block[] = [{ type: "header", text: headline(totals) }];
  if (view.totals.failing + view.totals.stale + view.totals.overdue === 0) {
    blocks.push({ type: "section", text: `No failing, stale or overdue integration${view.scopeNote ? ` ${view.scopeNote}` : ""}. :tada:` });
  } else {
    const newText = totals.newFindings ? ` (${count(totals.newFindings)} new)` : "";
    blocks.push({
      type: "section",
      text:
        `*${plural(totals.failing + totals.stale + totals.overdue, "integration")}*${newText}${view.scopeNote ? ` ${view.scopeNote}` : ""} ` +
        `ran *${plural(totals.runs30d, "time")}* in the last ${COST_WINDOW_DAYS} days` +
        (view.priced ? `: disabling them would save about *${money(totals.cost, view.currency)} a month*.` : ". Set PRICE_PER_RUN to see what they cost."),
    });
    const lines = view.groups.map(
      (group) =>
        `• *${escapeMarkup(truncate(group.groupName, 60))}*: ${count(group.failing)} failing, ${count(group.stale)} stale${group.overdue ? `, ${count(group.overdue)} overdue` : ""} · ${plural(group.runs30d, "run")}${view.priced ? ` · ${money(group.cost, view.currency)}` : ""}`,
    );
    // One section holds 3000 characters; a long list of groups is cut to what fits next to the details.
    const shownLines = lines.slice(0, 100);
    for (let i = 0; i < shownLines.length; i += 20) blocks.push({ type: "section", text: shownLines.slice(i, i + 20).join("\n") });
    if (lines.length > shownLines.length) blocks.push({ type: "context", text: `… and ${plural(lines.length - shownLines.length, "more group")}.` });
  }
  const notes: string[] = [];
  if (view.omitted) notes.push(`${plural(view.omitted, "more finding")} not detailed here: \`list failing\` and \`list stale\` page through them all.`);
  if (view.snoozed) notes.push(`${plural(view.snoozed, "snoozed finding")} left out until the snooze ends.`);
  if (view.autoDisableAfterDays !== undefined) notes.push(`Findings neither fixed nor snoozed are disabled ${plural(view.autoDisableAfterDays, "day")} after they were first reported.`);
  if (notes.length) blocks.push({ type: "context", text: notes.join(" ") });
  return blocks;
}

function groupHeading(group: { groupId: string; groupName: string; groupKind: string }, continued: boolean): Block {
  return { type: "section", text: `*${escapeMarkup(truncate(group.groupName, 80))}* (${group.groupKind} \`${group.groupId}\`)${continued ? " — continued" : ""}` };
}

/** The Disable and Snooze buttons of one finding; Disable asks first. */
function findingButtons(finding: Pick<ReportFinding, "integrationId" | "name" | "kind">): Button[] {
  const name = escapeMarkup(truncate(finding.name, 60));
  return [
    {
      label: "Disable",
      command: `disable ${finding.integrationId} flagged ${finding.kind} by the housekeeping report`,
      style: "danger",
      confirm: { title: "Disable this integration?", text: `Disable *${name}* (${finding.integrationId})? It stops running until enabled again.`, confirm: "Disable", deny: "Cancel" },
    },
    { label: `Snooze ${SNOOZE_DAYS} days`, command: `snooze ${finding.integrationId}` },
  ];
}

/** The blocks of one finding: what, why, runs and cost, where it belongs; then its buttons. */
function findingBlocks(finding: ReportFinding, currency: string | null): Block[] {
  const emoji = finding.kind === "failing" ? ":red_circle:" : finding.kind === "overdue" ? ":alarm_clock:" : ":hourglass:";
  const title = link(truncate(finding.name, 60), finding.flowUrl);
  const text = [
    `${emoji} *${title}* \`${finding.integrationId}\` · ${finding.kind}${finding.isNew ? " · *new*" : ""}`,
    escapeMarkup(finding.reason),
    `${plural(finding.runs30d, "run")} in ${COST_WINDOW_DAYS} days${currency ? ` ≈ ${money(finding.cost, currency)}` : ""} · ` +
      `Configuration ${escapeMarkup(truncate(finding.configurationName, 40))} (\`${finding.configurationId}\`) · Account \`${escapeMarkup(finding.accountId)}\` · User \`${escapeMarkup(finding.userId)}\``,
  ].join("\n");
  const blocks: Block[] = [{ type: "section", text }];
  if (finding.showButtons) blocks.push({ type: "actions", buttons: findingButtons(finding) });
  return blocks;
}

/** Splits the findings into messages of at most `maxBlocks` blocks, each group under its heading. */
function detailMessages(view: HousekeepingReportView, maxBlocks: number): Block[][] {
  const messages: Block[][] = [];
  let current: Block[] = [];
  for (const group of groupFindings(view.findings)) {
    let headed = false;
    for (const finding of group.findings) {
      const blocks = findingBlocks(finding, view.priced ? view.currency : null);
      const needed = blocks.length + (headed ? 0 : 1);
      if (current.length + needed > maxBlocks) {
        messages.push(current);
        current = [];
        headed = false;
      }
      if (!headed) {
        current.push(groupHeading(group, messages.length > 0 && group.findings[0] !== finding));
        headed = true;
      }
      current.push(...blocks);
    }
  }
  if (current.length) messages.push(current);
  return messages;
}

/**
 * The channel report: one message when it fits in Slack's block limit, else a summary message and the
 * details in its thread, each message within `maxBlocks` blocks.
 */
export function presentHousekeepingReport(view: HousekeepingReportView, maxBlocks = MAX_BLOCKS): ReportMessages {
  const summary = summaryBlocks(view);
  const details = detailMessages(view, maxBlocks);
  const text = `${headline(view.totals)}; ${plural(view.totals.runs30d, "run")} a month${view.priced ? `, ${money(view.totals.cost, view.currency)}` : ""}`;
  if (details.length <= 1 && summary.length + 1 + (details[0]?.length ?? 0) <= maxBlocks) {
    return { summary: { text, blocks: [...summary, ...(details[0]?.length ? [{ type: "divider" } as Block, ...details[0]] : [])] }, thread: [] };
  }
  const parts = details.length;
  return {
    summary: { text, blocks: [...summary, { type: "context", text: `The details are in the thread (${plural(parts, "message")}).` }] },
    thread: details.map((blocks, i) => ({ text: `${headline(view.totals)} — details ${i + 1} of ${parts}`, blocks })),
  };
}

/** The report as one answer (the `stale` command): the summary and as many findings as fit, then how many more. */
export function presentHousekeepingAnswer(view: HousekeepingReportView, maxBlocks = MAX_BLOCKS): Doc {
  // The closing line counts what is not detailed, the omitted included.
  const summary = summaryBlocks({ ...view, omitted: 0 });
  const blocks: Block[] = [...summary];
  if (view.findings.length) blocks.push({ type: "divider" });
  let shown = 0;
  // Leave room for the closing line.
  const room = maxBlocks - 1;
  outer: for (const group of groupFindings(view.findings)) {
    const heading = groupHeading(group, false);
    let headed = false;
    for (const finding of group.findings) {
      const more = findingBlocks(finding, view.priced ? view.currency : null);
      if (blocks.length + more.length + (headed ? 0 : 1) > room) break outer;
      if (!headed) {
        blocks.push(heading);
        headed = true;
      }
      blocks.push(...more);
      shown += 1;
    }
  }
  const left = view.findings.length - shown + view.omitted;
  if (left > 0) blocks.push({ type: "context", text: `… and ${plural(left, "more finding")}: \`list failing\` and \`list stale\` page through them all.` });
  return { text: `${headline(view.totals)}; ${plural(view.totals.runs30d, "run")} a month${view.priced ? `, ${money(view.totals.cost, view.currency)}` : ""}`, blocks };
}

/** One integration the bot disabled on its own (AUTO_DISABLE_AFTER_DAYS). */
export interface AutoDisabled {
  integrationId: string;
  name: string;
  groupName: string;
  kind: FindingKind;
  reason: string;
  firstReportedDays: number;
  /** The receipt every disable answers with: its last three errors, its runs of the last 30 days and their cost. */
  receipt: { lastErrors: Array<{ at: Date; error: string | null }>; runs30d: number; cost: number };
}

/** How the auto-disable notice words money and time. */
export interface AutoDisableNotice {
  afterDays: number;
  currency: string;
  timeZone: string;
}

/** One integration's receipt: who disabled it and why, with its runs and their cost and `Enable`; then its last errors. */
function receiptBlocks(d: AutoDisabled, notice: AutoDisableNotice): Block[] {
  const errors = d.receipt.lastErrors;
  return [
    {
      type: "section",
      text:
        `:no_entry_sign: *${escapeMarkup(truncate(d.name, 60))}* \`${d.integrationId}\` (${escapeMarkup(truncate(d.groupName, 40))}) was disabled by the housekeeping report: ` +
        `${d.kind}, ${escapeMarkup(truncate(d.reason, 300))}; first reported ${plural(d.firstReportedDays, "day")} ago.`,
      fields: [
        { label: `Runs in the last ${COST_WINDOW_DAYS} days`, value: String(d.receipt.runs30d) },
        { label: "Their cost", value: money(d.receipt.cost, notice.currency) },
      ],
      button: { label: "Enable", command: `enable ${d.integrationId}` },
    },
    {
      type: "context",
      text: errors.length
        ? `Last errors: ${errors.map((e) => `${formatTime(e.at, notice.timeZone)}: ${escapeMarkup(truncate(e.error ?? "error", 200))}`).join(" · ")}`
        : "No failed run on record.",
    },
  ];
}

/**
 * The notice of what AUTO_DISABLE_AFTER_DAYS disabled: one receipt per integration (who, why, last three errors,
 * runs of the last 30 days and their cost, `Enable`), as many per message as fit within the block limit.
 */
export function presentAutoDisabled(disabled: AutoDisabled[], notice: AutoDisableNotice, maxBlocks = MAX_BLOCKS): Doc[] {
  const perMessage = Math.max(1, Math.floor((maxBlocks - 1) / 2));
  const text = `Disabled ${plural(disabled.length, "integration")} reported ${plural(notice.afterDays, "day")} ago and neither fixed nor snoozed`;
  const docs: Doc[] = [];
  for (let i = 0; i < disabled.length || i === 0; i += perMessage) {
    const part = disabled.length > perMessage ? ` (${i + 1}–${Math.min(i + perMessage, disabled.length)} of ${disabled.length})` : "";
    docs.push({
      text: `${text}${part}`,
      blocks: [{ type: "section", text: `*${text}*${part}. \`enable ID\` or the button turns one back on.` }, ...disabled.slice(i, i + perMessage).flatMap((d) => receiptBlocks(d, notice))],
    });
  }
  return docs;
}

/** A finding auto-disable left alone because its failure belongs to an open incident. */
export interface AutoDisableSpared {
  integrationId: string;
  name: string;
  groupName: string;
  incidentId: string;
}

/** Integrations named one by one in the spared notice; the rest are counted. */
const SPARED_NAMED = 20;

/** The notice of the findings AUTO_DISABLE_AFTER_DAYS would have disabled, left enabled because they belong to an open incident. */
export function presentAutoDisableSpared(spared: AutoDisableSpared[]): Doc {
  const text = `Not auto-disabled: ${plural(spared.length, "failing integration")} whose failure belongs to an open incident`;
  const lines = spared
    .slice(0, SPARED_NAMED)
    .map((s) => `• *${escapeMarkup(truncate(s.name, 60))}* \`${s.integrationId}\` (${escapeMarkup(truncate(s.groupName, 40))}): incident \`${s.incidentId}\``);
  if (spared.length > SPARED_NAMED) lines.push(`… and ${spared.length - SPARED_NAMED} more.`);
  return {
    text,
    blocks: [
      { type: "section", text: `:shield: *${text}*: an outage on the platform's side is not their fault, so they stay enabled while it lasts.` },
      { type: "section", text: lines.join("\n") },
    ],
  };
}
