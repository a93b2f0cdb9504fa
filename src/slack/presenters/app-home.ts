import type { IntegrationCountsView, IntegrationView, OpenFindingView } from "../../reply/views.ts";
import type { Block, Button, Doc } from "../../reply/document.ts";
import { escapeMarkup } from "../../reply/document.ts";
import { ago, link, runEmoji, truncate } from "./format.ts";

/** What the App Home shows a Slack user who maps to no operator. */
export interface UnmappedHomeView {
  kind: "unmapped";
  slashCommand: string;
  /** A few admins to ask. */
  adminEmails: string[];
}

/** A failing integration on the App Home (the viewer may run it: the list is taken over their run scope). */
interface HomeFailing {
  row: IntegrationView;
}

/** A housekeeping finding on the App Home, and whether the viewer may act on it. */
interface HomeFinding {
  finding: OpenFindingView;
  canManage: boolean;
}

/** What the App Home shows an operator: counts over what they may view, their failing integrations, open findings. */
export interface OperatorHomeView {
  kind: "operator";
  slashCommand: string;
  operatorLabel: string;
  now: Date;
  /** False when the operator may view nothing at all. */
  canView: boolean;
  counts: IntegrationCountsView;
  failing: { rows: HomeFailing[]; total: number };
  findings: { rows: HomeFinding[]; total: number };
}

/** Everything the App Home can show. */
export type AppHomeView = UnmappedHomeView | OperatorHomeView;

/** How many failing integrations and findings the Home lists (each costs one or two blocks of Slack's 100). */
export const HOME_LIST_LIMIT = 15;

/** How the Home names a finding's kind. */
const FINDING_WORDS: Record<OpenFindingView["kind"], string> = { failing: "Failing", stale: "Stale", overdue: "Overdue" };

/** Presents the App Home tab. Stays well within Slack's 100 blocks: at most 15 failing and 15 findings. */
export function presentAppHome(view: AppHomeView): Doc {
  return view.kind === "unmapped" ? presentUnmapped(view) : presentOperator(view);
}

function presentUnmapped(view: UnmappedHomeView): Doc {
  const ask = view.adminEmails.length ? `an admin (${view.adminEmails.map(escapeMarkup).join(", ")})` : "an embedops admin";
  const text =
    `Your Slack account is not linked to an embedops operator yet, so there is nothing to show here. ` +
    `Ask ${ask} to run \`${view.slashCommand} link @you YOUR-EMAIL\` and to grant you *Can view* on your groups; ` +
    `then open this tab again. \`${view.slashCommand} whoami\` shows what embedops knows about you.`;
  return { text: "embedops: how to get access", blocks: [{ type: "header", text: "embedops" }, { type: "section", text }] };
}

function presentOperator(view: OperatorHomeView): Doc {
  // Stays long: the tab's blocks in the order they are shown, a few lines each, with no logic of their own.
  const slash = view.slashCommand;
  const blocks: Block[] = [
    { type: "header", text: "embedops: your integrations" },
    { type: "context", text: `For ${escapeMarkup(view.operatorLabel)}: everything you may view, as of ${view.now.toISOString().slice(0, 16).replace("T", " ")} UTC.` },
  ];
  if (!view.canView) {
    blocks.push({
      type: "section",
      text: `You may not view any group or partner yet. Ask an admin to run \`${slash} grant YOUR-EMAIL view group:ID\`; \`${slash} whoami\` shows your grants.`,
    });
    return { text: "embedops: no integrations you may view", blocks };
  }
  const c = view.counts;
  blocks.push({
    type: "fields",
    fields: [
      { label: "Integrations", value: String(c.total) },
      { label: "Status", value: `enabled ${c.byStatus.enabled} · disabled ${c.byStatus.disabled}` },
      {
        label: "Latest run",
        value: `${runEmoji("success")} success ${c.byLatestRun.success} · ${runEmoji("error")} error ${c.byLatestRun.error} · ${runEmoji("running")} running ${c.byLatestRun.running} · ${runEmoji("retrying")} retrying ${c.byLatestRun.retrying} · ${runEmoji(null)} N/A ${c.byLatestRun.none}`,
      },
    ],
  });

  blocks.push({ type: "divider" });
  blocks.push({ type: "section", text: `*Failing integrations you may run* (${view.failing.total})` });
  if (view.failing.rows.length === 0) {
    blocks.push({ type: "context", text: "None: every enabled integration you may run succeeded last time, or you may run none." });
  }
  for (const { row } of view.failing.rows) {
    blocks.push({
      type: "section",
      text:
        `${runEmoji("error")} *${escapeMarkup(truncate(row.name, 60))}* (\`${row.id}\`) · ${escapeMarkup(truncate(row.groupName, 40))} · ${link(truncate(row.flowName, 40), row.flowUrl)}\n` +
        `Failed ${ago(row.latestRunAt, view.now)}${row.failuresInRow > 1 ? `, ${row.failuresInRow} runs in a row` : ""}: ${escapeMarkup(truncate(row.latestRunError ?? "no error text", 200))}`,
      button: { label: "Re-run", command: `run ${row.id}`, style: "primary" },
    });
  }
  if (view.failing.total > view.failing.rows.length) {
    blocks.push({ type: "context", text: `${view.failing.total - view.failing.rows.length} more: \`${slash} list failing\`, or re-run them all with \`${slash} rerun failing\`.` });
  }

  blocks.push({ type: "divider" });
  blocks.push({ type: "section", text: `*Latest housekeeping findings* (${view.findings.total})` });
  if (view.findings.rows.length === 0) {
    blocks.push({ type: "context", text: "None open: nothing stale or failing was reported, or it was snoozed or fixed." });
  }
  for (const { finding, canManage } of view.findings.rows) {
    const row = finding.integration;
    blocks.push({
      type: "section",
      text:
        `*${FINDING_WORDS[finding.kind]}*: *${escapeMarkup(truncate(row.name, 60))}* (\`${row.id}\`) · ${escapeMarkup(truncate(row.groupName, 40))}\n` +
        `${escapeMarkup(truncate(finding.reason, 300))} · first reported ${ago(finding.firstReportedAt, view.now)}`,
    });
    const buttons: Button[] = canManage
      ? [
          {
            label: "Disable",
            command: `disable ${row.id}`,
            style: "danger",
            confirm: { title: "Disable this integration?", text: `*${escapeMarkup(truncate(row.name, 80))}* (\`${row.id}\`) stops running on its trigger until someone enables it again.`, confirm: "Disable", deny: "Cancel" },
          },
          { label: "Snooze", command: `snooze ${row.id}` },
        ]
      : [];
    if (buttons.length) blocks.push({ type: "actions", buttons });
  }
  if (view.findings.total > view.findings.rows.length) {
    blocks.push({ type: "context", text: `${view.findings.total - view.findings.rows.length} more in \`${slash} stale\`.` });
  }
  blocks.push({ type: "divider" });
  blocks.push({ type: "context", text: `\`${slash} help\` lists what you may do; \`${slash} export\` sends the list as CSV.` });
  return { text: `embedops: ${c.total} integrations, ${view.failing.total} failing`, blocks };
}
