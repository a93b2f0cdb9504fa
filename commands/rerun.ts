import { recordAudit } from "../src/data/audit.ts";
import { findRun } from "../src/data/flow-runs.ts";
import { countLatestFailed, describeIntegrations, healthRules, latestFailed } from "../src/data/integrations.ts";
import type { IntegrationRecord } from "../src/data/records.ts";
import type { Actor } from "../src/domain/permissions.ts";
import { badInput } from "../src/errors.ts";
import { log } from "../src/log.ts";
import { manualRunId, type Runner } from "../src/runner/runner.ts";
import type { Command } from "../src/slash/command.ts";
import type { ChannelMessages, MessageRef } from "../src/reply/messages.ts";
import { argumentText } from "../src/slash/paging.ts";
import type { Doc } from "../src/reply/document.ts";
import { presentRerunConfirmation, presentRerunSummary, type RerunSummaryView } from "../src/slack/presenters/rerun.ts";
import { INTEGRATION_FILTER_SPEC, integrationFilters } from "../src/slash/integration-filters.ts";
import { requesterMarkup } from "../src/slack/presenters/format.ts";

/** Run requests of one bulk re-run in flight at once, so the flow engine is not flooded. */
const RERUN_CONCURRENCY = 4;

/** The most integrations one confirmation re-runs. */
const RERUN_LIMIT = 200;

/** The summary message is updated at most this often while runs finish (Slack's chat.update limits). */
const SUMMARY_UPDATE_INTERVAL_MS = 1_000;

/** What to skip-explain for each claim that sent nothing. */
const SKIP_REASON = {
  running: "a manual run is still running",
  duplicate: "already requested",
  disabled: "disabled meanwhile",
  missing: "deleted meanwhile",
} as const;

/** A channel message shown once and then updated: posted to the channel, else through the response_url. */
function summaryMessage(messages: ChannelMessages, channel: string | undefined, responseUrl: string | undefined) {
  let ref: MessageRef | undefined;
  let viaResponseUrl = false;
  return {
    async show(doc: Doc): Promise<void> {
      try {
        if (ref) return await messages.update(ref, doc);
        if (viaResponseUrl) return await messages.respond!(responseUrl!, { visibility: "in_channel", replaceOriginal: true, doc });
        if (channel) {
          try {
            ref = await messages.post(channel, doc);
            return;
          } catch (error) {
            log.warn({ err: error, channel }, "could not post the re-run summary to the channel");
          }
        }
        if (responseUrl && messages.respond) {
          viaResponseUrl = true;
          await messages.respond(responseUrl, { visibility: "in_channel", doc });
        }
      } catch (error) {
        log.warn({ err: error }, "could not update the re-run summary");
      }
    },
  };
}

/** Re-runs the integrations, four at a time, keeping the summary up to date; resolves when every request was answered. */
async function rerunIntegrations(options: {
  runner: Runner;
  integrations: IntegrationRecord[];
  actor: Actor;
  requestKey?: string;
  summary: RerunSummaryView;
  show(doc: Doc): Promise<void>;
}): Promise<RerunSummaryView> {
  const { runner, actor, summary } = options;
  const queue = [...options.integrations];
  let lastShown = 0;
  let showing: Promise<void> = Promise.resolve();
  const refresh = (force: boolean) => {
    const at = Date.now();
    if (!force && at - lastShown < SUMMARY_UPDATE_INTERVAL_MS) return;
    lastShown = at;
    const doc = presentRerunSummary({ ...summary, skipped: [...summary.skipped], failures: [...summary.failures] });
    // Updates go out one after another, in order, so a late one never overwrites a newer one.
    showing = showing.then(() => options.show(doc));
  };
  const worker = async () => {
    for (let integration = queue.shift(); integration; integration = queue.shift()) {
      try {
        const claim = await runner.claim({ integrationId: integration.id, actor, requestKey: options.requestKey });
        if (claim.kind !== "claimed") {
          summary.skipped.push({ id: integration.id, name: integration.name, reason: SKIP_REASON[claim.kind] });
        } else {
          summary.requested += 1;
          const stored = await runner.send(claim.run, claim.integration, actor);
          if (stored.status === "success") summary.succeeded += 1;
          else if (stored.status === "error") {
            summary.failed += 1;
            summary.failures.push({ id: integration.id, name: integration.name, error: stored.error ?? "failed" });
          } else summary.running += 1;
        }
      } catch (error) {
        log.error({ err: error, integrationId: integration.id }, "a re-run could not be requested");
        summary.skipped.push({ id: integration.id, name: integration.name, reason: "could not be requested (see the bot's log)" });
      }
      refresh(false);
    }
  };
  await Promise.all(Array.from({ length: Math.min(RERUN_CONCURRENCY, options.integrations.length) }, worker));
  summary.done = true;
  refresh(true);
  await showing;
  return summary;
}

/**
 * `rerun failing [filters]`: first a confirmation with the count and a `Re-run N integrations` button
 * (which carries the filters and the confirm flag), then re-runs every enabled integration the clicker may run
 * whose latest run failed, four at a time, with one summary message in the channel updated as they finish.
 */
export const rerun: Command = {
  name: "rerun",
  usage: "rerun failing [status:…] [group:ID|NAME] [config:ID] [account:ID] [user:ID] [flow:ID] [words…]",
  summary: "Re-run, after one confirmation, every failing integration you may run (four at a time).",
  need: "run",
  changes: true,
  arguments: { positional: ["failing"], filters: INTEGRATION_FILTER_SPEC, flags: ["confirm"], rest: true },
  async execute(ctx, args) {
    if (args.positional[0]!.toLowerCase() !== "failing") {
      throw badInput(`\`${ctx.slashCommand} rerun\` re-runs the integrations whose latest run failed: write \`${ctx.slashCommand} rerun failing [filters]\`.`);
    }
    const confirmed = args.flags.has("confirm");
    const filterText = argumentText({ ...args, positional: [], flags: new Set() });
    const filters = integrationFilters(args);
    const rules = healthRules(ctx.config, ctx.clock.now());
    const { runner, messages, background } = ctx.services;

    if (!confirmed) {
      const [total, sample] = await Promise.all([
        countLatestFailed(ctx.db, ctx.scope, filters, rules),
        latestFailed(ctx.db, ctx.scope, filters, rules, 10),
      ]);
      return {
        visibility: "ephemeral",
        replaceOriginal: ctx.origin.fromButton,
        doc: presentRerunConfirmation({
          total,
          sample: await describeIntegrations(ctx.db, sample),
          limit: RERUN_LIMIT,
          filterText,
          confirmCommand: `rerun failing${filterText ? ` ${filterText}` : ""} confirm`,
          now: ctx.clock.now(),
        }),
      };
    }

    if (!runner.configured) {
      await recordAudit(ctx.db, { actor: ctx.actor, action: "rerun", outcome: "error", detail: "not sent: RUNNER_SIGNING_SECRET is not set", at: ctx.clock.now() });
      const text = ":warning: Nothing was re-run: the bot has no `RUNNER_SIGNING_SECRET`, so the flow engine could not trust its run requests. Ask whoever runs the bot to set it.";
      return { visibility: "ephemeral", replaceOriginal: ctx.origin.fromButton, doc: { text: text.replace(/`/g, ""), blocks: [{ type: "section", text }] } };
    }
    const integrations = await latestFailed(ctx.db, ctx.scope, filters, rules, RERUN_LIMIT);
    const requestKey = ctx.origin.triggerId;
    const first = integrations[0];
    if (requestKey && first && (await findRun(ctx.db, manualRunId(first.id, requestKey)))) {
      // A retry of a confirmation already acted on: one summary, one set of run requests.
      return { visibility: "ephemeral", doc: { text: "This re-run was already started.", blocks: [{ type: "section", text: "This re-run was already started; its summary is in the channel." }] } };
    }
    if (integrations.length === 0) {
      return { visibility: "ephemeral", replaceOriginal: ctx.origin.fromButton, doc: presentRerunConfirmation({ total: 0, sample: [], limit: RERUN_LIMIT, filterText, confirmCommand: "", now: ctx.clock.now() }) };
    }
    await recordAudit(ctx.db, {
      actor: ctx.actor,
      action: "rerun",
      outcome: "ok",
      detail: `${integrations.length} failing integration${integrations.length === 1 ? "" : "s"}${filterText ? ` (${filterText})` : ""}`,
      at: ctx.clock.now(),
    });
    const summary: RerunSummaryView = {
      requester: requesterMarkup(ctx.actor),
      filterText,
      total: integrations.length,
      requested: 0,
      succeeded: 0,
      failed: 0,
      running: 0,
      skipped: [],
      failures: [],
      done: false,
    };
    const channel = ctx.origin.channelId ?? (ctx.origin.transport === "slack" ? undefined : ctx.origin.transport);
    const message = summaryMessage(messages, channel, ctx.origin.responseUrl);
    await message.show(presentRerunSummary(summary));
    const actor = ctx.actor;
    background.track("rerun failing", async () => {
      const done = await rerunIntegrations({ runner, integrations, actor, requestKey, summary, show: (doc) => message.show(doc) });
      log.info({ requested: done.requested, succeeded: done.succeeded, failed: done.failed, running: done.running, skipped: done.skipped.length }, "re-run of failing integrations finished");
    });
    const text = `Re-running ${integrations.length} integration${integrations.length === 1 ? "" : "s"}, ${RERUN_CONCURRENCY} at a time; the summary in the channel is updated as they finish.`;
    return { visibility: "ephemeral", replaceOriginal: ctx.origin.fromButton, doc: { text, blocks: [{ type: "section", text }] } };
  },
};
