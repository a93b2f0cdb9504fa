import { mkdtemp, rm } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import type { Database } from "../src/data/database.ts";
import { healthRules, listIntegrations, type HealthRules, type IntegrationFilters, type IntegrationRow } from "../src/data/integrations.ts";
import type { GroupScope } from "../src/domain/permissions.ts";
import { actorLabel } from "../src/domain/permissions.ts";
import { log } from "../src/log.ts";
import { exportsTotal } from "../src/metrics.ts";
import { defineCommand } from "../src/slash/command.ts";
import { argumentText } from "../src/slash/paging.ts";
import { escapeMarkup, textDoc } from "../src/reply/document.ts";
import { latestRunLabel, sharingLabel } from "../src/slack/presenters/format.ts";
import { INTEGRATION_COLUMNS } from "../src/slack/presenters/integration-list.ts";
import { INTEGRATION_FILTER_SPEC, INTEGRATION_FLAGS, integrationFilters } from "../src/slash/integration-filters.ts";

/** Rows read from the database at a time: memory stays the same whether 1k or 100k integrations are exported. */
const EXPORT_PAGE_SIZE = 500;

/** The CSV's columns: the platform's list columns first, then ids and links for spreadsheets and scripts. */
export const EXPORT_COLUMNS = [
  ...INTEGRATION_COLUMNS,
  "Integration ID", "Embed Flow ID", "Embed Flow URL", "Group ID", "Latest run at", "Latest run error", "Activated at",
] as const;

/** One integration as a CSV record, in EXPORT_COLUMNS order, as plain text (no Slack markup). */
export function exportRecord(row: IntegrationRow): string[] {
  return [
    row.name,
    row.status,
    latestRunLabel(row.latestRunStatus),
    row.flowName,
    row.configurationId,
    row.configurationName,
    row.groupName,
    row.embedUserId,
    row.embedAccountId,
    sharingLabel(row.sharingLevel),
    row.id,
    row.flowId,
    row.flowUrl ?? "",
    row.groupId,
    row.latestRunAt?.toISOString() ?? "",
    row.latestRunError ?? "",
    row.createdAt.toISOString(),
  ];
}

/** Every integration of the query, page after page (keyset), never more than one page in memory. */
async function* integrationRecords(
  db: Database,
  scope: GroupScope,
  filters: IntegrationFilters,
  rules: HealthRules,
  pageSize: number,
  counter: { rows: number },
): AsyncGenerator<string[]> {
  let after: string | undefined;
  do {
    const page = await listIntegrations(db, scope, filters, rules, { limit: pageSize, ...(after ? { after } : {}) });
    for (const row of page.rows) {
      counter.rows++;
      yield exportRecord(row);
    }
    after = page.next;
  } while (after);
}

/**
 * Writes the `list` result (newest activity first) as CSV to `path`, streamed from the database in pages.
 * Cells that a spreadsheet would run as formulas are escaped. Returns how many integrations it wrote.
 */
export async function writeIntegrationsCsv(
  db: Database,
  scope: GroupScope,
  filters: IntegrationFilters,
  rules: HealthRules,
  path: string,
  pageSize = EXPORT_PAGE_SIZE,
): Promise<{ rows: number }> {
  const counter = { rows: 0 };
  await pipeline(
    Readable.from(integrationRecords(db, scope, filters, rules, pageSize, counter)),
    stringify({ header: true, columns: [...EXPORT_COLUMNS], escape_formulas: true }),
    createWriteStream(path),
  );
  return counter;
}

/** The file name of an export: `integrations-2026-11-20-1200.csv`. */
function exportFilename(now: Date): string {
  return `integrations-${now.toISOString().slice(0, 16).replace("T", "-").replace(":", "")}.csv`;
}

/** `export [filters…]`: the `list` result as a CSV file, shared in the channel (Slack) or written to a file (console). */
export const exportCommand = defineCommand({
  name: "export",
  usage: "export [status:enabled|disabled] [latest:success|error|running|retrying|none] [group:ID|NAME] [config:ID] [account:ID] [user:ID] [flow:ID] [incident:ID] [stale] [failing] [words…]",
  summary: "Export the integrations you may view (the list, every column) as a CSV file.",
  need: "view",
  arguments: { filters: { ...INTEGRATION_FILTER_SPEC }, flags: INTEGRATION_FLAGS, rest: true },
  async execute(ctx, args) {
    const now = ctx.clock.now();
    const filename = exportFilename(now);
    const dir = await mkdtemp(join(tmpdir(), "embedops-export-"));
    const path = join(dir, filename);
    const filterText = argumentText(args);
    const rules = healthRules(ctx.config, now);
    const upload = ctx.origin.transport === "slack" && ctx.origin.channelId ? ctx.services.messages.uploadFile : undefined;
    const destination = upload ? "slack" : "file";
    let failed = false;
    try {
      const { rows } = await writeIntegrationsCsv(ctx.db, ctx.scope, integrationFilters(args), rules, path);
      const what = `${rows} integration${rows === 1 ? "" : "s"}${filterText ? ` matching \`${escapeMarkup(filterText)}\`` : ""}`;
      log.info({ rows, destination, filters: filterText }, "integrations exported");
      if (!upload) {
        exportsTotal.inc({ outcome: "ok", destination });
        return { visibility: "ephemeral", doc: textDoc(`Exported ${what} to ${path}`) };
      }
      await upload(ctx.origin.channelId!, {
        path,
        filename,
        title: `Integrations${filterText ? ` matching ${filterText}` : ""} (${rows})`,
        initialComment: `Export of ${what}, requested by ${escapeMarkup(actorLabel(ctx.actor))}.`,
      });
      exportsTotal.inc({ outcome: "ok", destination });
      return { visibility: "ephemeral", doc: textDoc(`:white_check_mark: Exported ${what}: \`${filename}\` is shared in this channel.`) };
    } catch (error) {
      exportsTotal.inc({ outcome: "error", destination });
      failed = true;
      // Slack's refusals (not_in_channel, …) are EmbedopsErrors whose message says what to do.
      throw error;
    } finally {
      // In the console the file is the answer; after an upload (or a failure) it has served its purpose.
      if (upload || failed) await rm(dir, { recursive: true, force: true });
    }
  },
});
