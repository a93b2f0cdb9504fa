import { formatDistanceStrict } from "date-fns";
import type { Block, Button, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { formatTime, link, truncate } from "./format.ts";

/** One incident as its channel message and `incidents` show it. */
export interface IncidentView {
  id: string;
  state: "open" | "resolved";
  flowName: string;
  flowUrl: string | null;
  signature: string;
  /** One real error of a member. */
  sampleError: string | null;
  /** Integrations failing with the signature now. */
  failing: number;
  recovered: number;
  accounts: number;
  groups: Array<{ name: string; kind: "group" | "partner"; failing: number }>;
  /** When the earliest member's failure streak began. */
  since: Date;
  resolvedAt: Date | null;
}

/** The groups named in one message at most; the rest are counted. */
const NAMED_GROUPS = 8;

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The `Re-run affected` button: re-runs the incident's failing members the person who clicks may run, four at
 * a time, with one summary. The one place that names how an incident's members are re-run.
 */
function rerunAffectedButton(incidentId: string): Button {
  return {
    label: "Re-run affected",
    command: `rerun failing incident:${incidentId}`,
    style: "primary",
    confirm: {
      title: "Re-run the affected integrations?",
      text: `Preview a re-run of every failing integration of ${incidentId} that you may run? Nothing runs before you confirm.`,
      confirm: "Re-run",
      deny: "Cancel",
    },
  };
}

/** The `Members` button: `list incident:ID`, for whoever clicks. */
function membersButton(incidentId: string): Button {
  return { label: "Members", command: `list incident:${incidentId}` };
}

function groupsText(view: IncidentView): string {
  const named = view.groups.slice(0, NAMED_GROUPS).map((group) => `${escapeMarkup(group.name)} (${group.failing})`);
  const more = view.groups.length - named.length;
  return named.join(", ") + (more > 0 ? `, and ${plural(more, "more group")}` : "") || "—";
}

/**
 * The incident's channel message: the flow, the signature with one real error, how many integrations and
 * accounts, which groups, since when, and `Re-run affected`; once resolved, the same message says so.
 */
export function presentIncident(view: IncidentView, now: Date, timeZone: string): Doc {
  const flow = link(view.flowName, view.flowUrl);
  const since = formatTime(view.since, timeZone);
  const blocks: Block[] = [];
  let text: string;
  if (view.state === "open") {
    const lasted = formatDistanceStrict(view.since, now < view.since ? view.since : now);
    text = `Incident ${view.id}: ${plural(view.failing, "integration")} of ${view.flowName} failing with one error across ${plural(view.accounts, "account")}, for ${lasted}`;
    blocks.push({
      type: "section",
      text: `:rotating_light: *Incident \`${view.id}\`*: *${plural(view.failing, "integration")}* of ${flow} ${view.failing === 1 ? "is" : "are"} failing with the same error, across *${plural(view.accounts, "account")}*, since ${since} (for ${lasted}).`,
    });
  } else {
    const end = view.resolvedAt ?? now;
    text = `Incident ${view.id} resolved: ${view.flowName} no longer fails with this error (it lasted ${formatDistanceStrict(view.since, end < view.since ? view.since : end)})`;
    blocks.push({
      type: "section",
      text: `:large_green_circle: *Incident \`${view.id}\` resolved*${view.resolvedAt ? ` on ${formatTime(view.resolvedAt, timeZone)}` : ""}: no integration of ${flow} fails with this error any more (since ${since}, ${plural(view.recovered, "integration")} affected).`,
    });
  }
  blocks.push({
    type: "fields",
    fields: [
      { label: "Embed Flow", value: flow },
      { label: view.groups.some((group) => group.kind === "partner") ? "Groups / partners" : "Groups", value: view.state === "open" ? groupsText(view) : "—" },
      { label: "Failing / recovered", value: `${view.failing} / ${view.recovered}` },
      { label: "Since", value: since },
    ],
  });
  blocks.push({ type: "section", text: `*Error signature:* \`${escapeMarkup(truncate(view.signature, 300))}\`` });
  if (view.sampleError) blocks.push({ type: "section", text: `*For example:* ${escapeMarkup(truncate(view.sampleError, 500))}` });
  blocks.push({ type: "actions", buttons: view.state === "open" ? [rerunAffectedButton(view.id), membersButton(view.id)] : [membersButton(view.id)] });
  return { text, blocks };
}

/** What the message of an incident shows, so a firing updates it only when that changed. */
export function incidentFingerprint(view: IncidentView): string {
  const groups = view.groups.map((group) => `${group.name}:${group.failing}`).join(",");
  return `${view.state}|${view.failing}|${view.recovered}|${view.accounts}|${groups}`;
}

/** `incidents`: the open incidents touching the integrations the caller may view. */
export function presentIncidentList(views: IncidentView[], now: Date, timeZone: string): Doc {
  if (views.length === 0) {
    const text = "No open incident touches the integrations you may view.";
    return { text, blocks: [{ type: "section", text }] };
  }
  const text = `${plural(views.length, "open incident")}`;
  const blocks: Block[] = [
    { type: "section", text: `*${text}* touching the integrations you may view:` },
    {
      type: "table",
      columns: ["Incident", "Embed Flow", "Error", "Integrations", "Accounts", "Since"],
      // A narrow console keeps the id, the count and the error first.
      priority: [0, 3, 2, 1, 5, 4],
      rows: views.map((view) => [
        view.id,
        escapeMarkup(truncate(view.flowName, 40)),
        escapeMarkup(truncate(view.signature, 80)),
        String(view.failing),
        String(view.accounts),
        `${formatTime(view.since, timeZone)} (${formatDistanceStrict(view.since, now < view.since ? view.since : now)})`,
      ]),
    },
    { type: "context", text: "`list incident:ID` lists an incident's integrations." },
  ];
  return { text, blocks };
}
