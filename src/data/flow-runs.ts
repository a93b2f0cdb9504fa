import { Op, QueryTypes, type Transaction } from "sequelize";
import { EmbedopsError, ErrorCode } from "../errors.ts";
import type { Database } from "./database.ts";
import { jsonList, jsonRows } from "./json-rows.ts";
import { keepErrorSignatures } from "./error-signatures.ts";
import { keptThresholds, refreshHealthOf } from "./health.ts";
import { plain, type RunStatus, type RunTrigger } from "./models/index.ts";
import { keysetPage, type Page, type PageRequest } from "./keyset.ts";
import { equals } from "./bound.ts";
import type { FlowRunRecord } from "./records.ts";
import { applyRunDays, type RunDayChange } from "./run-days.ts";

/** One flow run as reported (by the engine, an import, or the bot itself for manual runs). */
export interface RunInput {
  id: string;
  integrationId: string;
  status: RunStatus;
  trigger?: RunTrigger;
  startedAt: Date;
  finishedAt?: Date | null;
  error?: string | null;
  requestedBy?: string | null;
}

/** What recordRuns changed. */
interface RecordedRuns {
  /** Runs inserted or changed. */
  written: number;
  /** Events ignored because the stored run was already finished by a later event. */
  ignored: number;
  /** Manual runs whose status changed: their Slack messages need an update. */
  changedManualRuns: FlowRunRecord[];
}

/** A run that cannot be recorded, named by its position in the input and the field at fault; nothing was written. */
export class RunRejected extends EmbedopsError {
  constructor(
    readonly index: number,
    readonly field: "integration_id",
    message: string,
  ) {
    super(ErrorCode.BadInput, message, { apiCode: "invalid_run_event" });
    this.name = "RunRejected";
  }
}

/** A stored run, as much of it as merging needs (a FlowRun row fits). */
interface StoredRun {
  id: string;
  integrationId: string;
  status: RunStatus;
  trigger: RunTrigger;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
  requestedBy: string | null;
}

/** An integration's latest-run fields (an Integration row fits). */
interface LatestRunState {
  id: string;
  latestRunId: string | null;
  latestRunStatus: RunStatus | null;
  latestRunAt: Date | null;
  latestRunError: string | null;
  lastSuccessAt: Date | null;
  failuresInRow: number;
  failingSince: Date | null;
  activityAt: Date;
  manualRunId: string | null;
}

const FINISHED: ReadonlySet<RunStatus> = new Set(["success", "error"]);

/**
 * The error of a manual run the engine never answered because the bot stopped: its request was cut off, or (a bulk
 * run's run claimed ahead of its lane) never sent. The engine's own report still replaces it.
 */
export const RUN_INTERRUPTED_ERROR = "interrupted: the bot stopped before the flow engine answered (the request may not have gone out)";

/** The same error as runs recorded before its wording changed keep it. */
const RUN_INTERRUPTED_ERRORS: ReadonlySet<string> = new Set([RUN_INTERRUPTED_ERROR, "interrupted: the bot stopped while sending the request"]);

/** When an event happened, for ordering two reports of the same run. */
function eventTime(run: { startedAt: Date; finishedAt?: Date | null }): number {
  return (run.finishedAt ?? run.startedAt).getTime();
}

/**
 * Merges a report into the stored run: a finished status is never replaced by an older or unfinished one.
 * Returns undefined when the report changes nothing.
 */
function mergeRun(stored: StoredRun | undefined, input: RunInput): RunInput | undefined {
  if (!stored) return input;
  const storedFinished = FINISHED.has(stored.status);
  // The bot's own guess that a run was interrupted gives way to the engine's finished report, whenever it comes.
  const interrupted = stored.status === "error" && stored.error !== null && RUN_INTERRUPTED_ERRORS.has(stored.error);
  if (storedFinished && !FINISHED.has(input.status)) return undefined;
  if (storedFinished && !interrupted && eventTime(input) < eventTime(stored)) return undefined;
  const merged: RunInput = {
    id: stored.id,
    integrationId: stored.integrationId,
    status: input.status,
    trigger: stored.trigger,
    startedAt: stored.startedAt,
    finishedAt: input.finishedAt ?? stored.finishedAt,
    error: input.status === "error" ? (input.error ?? stored.error) : (input.error ?? null),
    requestedBy: stored.requestedBy,
  };
  const same =
    merged.status === stored.status &&
    (merged.finishedAt?.getTime() ?? null) === (stored.finishedAt?.getTime() ?? null) &&
    (merged.error ?? null) === (stored.error ?? null);
  return same ? undefined : merged;
}

/**
 * Applies one run (already merged) to its integration's latest-run fields. Returns true when the run is older
 * than the latest and finished: the failure streak then has to be counted again from the stored runs.
 */
function applyToIntegration(integration: LatestRunState, run: RunInput, previousStatus: RunStatus | undefined): boolean {
  const startedAt = run.startedAt.getTime();
  const latestAt = integration.latestRunAt?.getTime() ?? -Infinity;
  const isLatest = integration.latestRunId === run.id;
  if (run.status === "success") {
    const at = run.finishedAt ?? run.startedAt;
    if (!integration.lastSuccessAt || integration.lastSuccessAt < at) integration.lastSuccessAt = at;
  }
  // A manual run that ends frees the integration for the next one, even when a newer run started meanwhile.
  if (integration.manualRunId === run.id && FINISHED.has(run.status)) integration.manualRunId = null;
  if (!isLatest && startedAt < latestAt) return FINISHED.has(run.status);
  if (!isLatest) {
    // A newer run takes over as the latest.
    if (run.status === "error") integration.failuresInRow += 1;
    if (run.status === "success") integration.failuresInRow = 0;
  } else {
    if (run.status === "error" && previousStatus !== "error") integration.failuresInRow += 1;
    if (run.status === "success") integration.failuresInRow = 0;
  }
  if (integration.failuresInRow === 0) integration.failingSince = null;
  else if (run.status === "error" && integration.failuresInRow === 1) integration.failingSince = run.startedAt;
  integration.latestRunId = run.id;
  integration.latestRunStatus = run.status;
  integration.latestRunAt = run.startedAt;
  integration.latestRunError = run.status === "error" ? (run.error ?? null) : null;
  if (integration.activityAt < run.startedAt) integration.activityAt = run.startedAt;
  return false;
}

/** Reads a date column: PostgreSQL gives Dates; SQLite gives the text Sequelize wrote ("2026-11-20 10:00:00.000 +00:00"). */
function readDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value);
  const text = String(value);
  const parts = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  return parts ? new Date(`${parts[1]}T${parts[2]}${parts[3] ?? "Z"}`) : new Date(text);
}

/** Writes a date the way the dialect's Sequelize models read and compare it. */
function writeDate(db: Database, date: Date | null): string | null {
  if (!date) return null;
  const iso = date.toISOString();
  return db.dialect === "sqlite" ? `${iso.slice(0, 10)} ${iso.slice(11, 23)} +00:00` : iso;
}

const INTEGRATION_COLUMNS = "id, latest_run_id, latest_run_status, latest_run_at, latest_run_error, last_success_at, failures_in_row, failing_since, activity_at, manual_run_id";
const RUN_COLUMNS = "id, integration_id, status, \"trigger\", started_at, finished_at, error, requested_by";

type Row = Record<string, unknown>;

function latestRunState(row: Row): LatestRunState {
  return {
    id: String(row.id),
    latestRunId: (row.latest_run_id as string | null) ?? null,
    latestRunStatus: (row.latest_run_status as RunStatus | null) ?? null,
    latestRunAt: readDate(row.latest_run_at),
    latestRunError: (row.latest_run_error as string | null) ?? null,
    lastSuccessAt: readDate(row.last_success_at),
    failuresInRow: Number(row.failures_in_row ?? 0),
    failingSince: readDate(row.failing_since),
    activityAt: readDate(row.activity_at)!,
    manualRunId: (row.manual_run_id as string | null) ?? null,
  };
}

function storedRun(row: Row): StoredRun {
  return {
    id: String(row.id),
    integrationId: String(row.integration_id),
    status: row.status as RunStatus,
    trigger: row.trigger as RunTrigger,
    startedAt: readDate(row.started_at)!,
    finishedAt: readDate(row.finished_at),
    error: (row.error as string | null) ?? null,
    requestedBy: (row.requested_by as string | null) ?? null,
  };
}

/**
 * Counts failure streaks from the stored runs (this batch's included): the errors started after the newest
 * success, and when the first of them started. Needed only when a finished run arrives after a newer one.
 */
async function recountFailureStreaks(db: Database, states: LatestRunState[], transaction: Transaction): Promise<void> {
  const ids = jsonList(db, states.map((state) => state.id));
  const rows = await db.sequelize.query<Row>(
    `SELECT r.integration_id, COUNT(*) AS failures, MIN(r.started_at) AS since
     FROM flow_runs r
     LEFT JOIN (SELECT integration_id, MAX(started_at) AS last_success FROM flow_runs WHERE status = 'success' AND integration_id IN ${ids.sql} GROUP BY integration_id) s
       ON s.integration_id = r.integration_id
     WHERE r.integration_id IN ${ids.sql} AND r.status = 'error' AND (s.last_success IS NULL OR r.started_at > s.last_success)
     GROUP BY r.integration_id`,
    { type: QueryTypes.SELECT, transaction, bind: ids.bind },
  );
  const streaks = new Map(rows.map((row) => [String(row.integration_id), { failures: Number(row.failures), since: readDate(row.since) }]));
  for (const state of states) {
    const streak = streaks.get(state.id);
    state.failuresInRow = streak?.failures ?? 0;
    state.failingSince = streak ? streak.since : null;
  }
}

/** The latest-run fields of an integration row: column, value, and the PostgreSQL type it is read as (text when none). */
const LATEST_FIELDS: ReadonlyArray<{ column: string; value: (state: LatestRunState) => string | number | Date | null; cast?: "INTEGER" | "TIMESTAMPTZ" }> = [
  { column: "latest_run_id", value: (state) => state.latestRunId },
  { column: "latest_run_status", value: (state) => state.latestRunStatus },
  { column: "latest_run_at", value: (state) => state.latestRunAt, cast: "TIMESTAMPTZ" },
  { column: "latest_run_error", value: (state) => state.latestRunError },
  { column: "last_success_at", value: (state) => state.lastSuccessAt, cast: "TIMESTAMPTZ" },
  { column: "failures_in_row", value: (state) => state.failuresInRow, cast: "INTEGER" },
  { column: "failing_since", value: (state) => state.failingSince, cast: "TIMESTAMPTZ" },
  { column: "activity_at", value: (state) => state.activityAt, cast: "TIMESTAMPTZ" },
  { column: "manual_run_id", value: (state) => state.manualRunId },
];

function sameValue(a: string | number | Date | null, b: string | number | Date | null): boolean {
  return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
}

/**
 * Writes the integrations whose latest-run fields changed: one UPDATE per set of changed columns, so an
 * index is rewritten only where one of its columns changed (activity_at alone is in eight of them).
 */
async function writeLatestRuns(db: Database, states: LatestRunState[], before: Map<string, LatestRunState>, stamp: string | null, transaction: Transaction): Promise<void> {
  const groups = new Map<string, { fields: typeof LATEST_FIELDS; states: LatestRunState[] }>();
  for (const state of states) {
    const old = before.get(state.id)!;
    const fields = LATEST_FIELDS.filter((field) => !sameValue(field.value(state), field.value(old)));
    if (fields.length === 0) continue;
    const key = fields.map((field) => field.column).join(",");
    const group = groups.get(key) ?? { fields, states: [] };
    group.states.push(state);
    groups.set(key, group);
  }
  for (const { fields, states: rows } of groups.values()) {
    const latest = jsonRows(
      db,
      rows.map((state) => [state.id, ...fields.map((field) => { const value = field.value(state); return value instanceof Date ? writeDate(db, value) : value; }), stamp]),
      [{ name: "id" }, ...fields.map((field) => ({ name: field.column, type: field.cast })), { name: "updated_at", type: "TIMESTAMPTZ" }],
    );
    const columns = [...fields.map((field) => field.column), "updated_at"];
    await db.sequelize.query(
      `WITH latest AS ${latest.sql}
       UPDATE integrations SET ${columns.map((column) => `${column} = latest.${column}`).join(", ")} FROM latest WHERE integrations.id = latest.id`,
      { type: QueryTypes.UPDATE, transaction, bind: latest.bind },
    );
  }
}

/**
 * What writing these runs changes in the per-day roll-up: each stored run leaves its day (and its error with it),
 * each written run counts on its day (an error too). A duplicate nets to nothing, running → error adds an error,
 * error → success takes one away, a run started on another day moves.
 */
function runDayChanges(runs: StoredRun[], storedById: Map<string, StoredRun>): RunDayChange[] {
  const changes: RunDayChange[] = [];
  for (const run of runs) {
    const stored = storedById.get(run.id);
    if (stored) changes.push({ integrationId: stored.integrationId, startedAt: stored.startedAt, runs: -1, errors: stored.status === "error" ? -1 : 0 });
    changes.push({ integrationId: run.integrationId, startedAt: run.startedAt, runs: 1, errors: run.status === "error" ? 1 : 0 });
  }
  return changes;
}

/**
 * Upserts runs by id and updates each integration's latest run (status, time, error, last success,
 * failures in a row) and the per-day roll-up of runs in the same transaction, with bulk statements: a few
 * queries per batch, not per run.
 * Plain SQL with bound values rather than model instances: building and parsing a Sequelize instance per
 * row cost more than the database work itself.
 * Throws RunRejected, writing nothing, when a run names an unknown integration or another integration than
 * the one it was first reported for.
 */
export async function recordRuns(db: Database, inputs: RunInput[], transaction: Transaction, now: Date): Promise<RecordedRuns> {
  if (inputs.length === 0) return { written: 0, ignored: 0, changedManualRuns: [] };
  const { sequelize } = db;
  const ids = [...new Set(inputs.map((run) => run.id))];
  const integrationIds = [...new Set(inputs.map((run) => run.integrationId))].sort();
  // Integrations first, locked in id order on PostgreSQL: concurrent batches for the same integration
  // (and so for the same runs) queue here instead of overwriting each other's merge.
  const integrationList = jsonList(db, integrationIds);
  const integrationRows = await sequelize.query<Row>(
    `SELECT ${INTEGRATION_COLUMNS} FROM integrations WHERE id IN ${integrationList.sql} ORDER BY id${db.dialect === "postgres" ? " FOR UPDATE" : ""}`,
    { type: QueryTypes.SELECT, transaction, bind: integrationList.bind },
  );
  const runList = jsonList(db, ids);
  const runRows = await sequelize.query<Row>(`SELECT ${RUN_COLUMNS} FROM flow_runs WHERE id IN ${runList.sql}`, { type: QueryTypes.SELECT, transaction, bind: runList.bind });
  const integrationById = new Map(integrationRows.map((row) => [String(row.id), latestRunState(row)]));
  const before = new Map([...integrationById].map(([id, state]) => [id, { ...state }]));
  const storedById = new Map(runRows.map((row) => [String(row.id), storedRun(row)]));

  const ownerOf = new Map<string, string>();
  inputs.forEach((input, index) => {
    if (!integrationById.has(input.integrationId)) throw new RunRejected(index, "integration_id", `no integration \`${input.integrationId}\`.`);
    const owner = storedById.get(input.id)?.integrationId ?? ownerOf.get(input.id);
    if (owner !== undefined && owner !== input.integrationId) {
      throw new RunRejected(index, "integration_id", `run \`${input.id}\` belongs to integration \`${owner}\`, not \`${input.integrationId}\`.`);
    }
    ownerOf.set(input.id, input.integrationId);
  });

  const ordered = [...inputs].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || eventTime(a) - eventTime(b));
  const toWrite = new Map<string, StoredRun>();
  const previous = new Map<string, RunStatus | undefined>();
  const recount = new Set<string>();
  let ignored = 0;
  for (const input of ordered) {
    const stored = storedById.get(input.id);
    // Within a batch, merge against what the batch already decided.
    const base = toWrite.get(input.id) ?? stored;
    const merged = mergeRun(base, input);
    if (!merged) {
      ignored += 1;
      continue;
    }
    if (!previous.has(input.id)) previous.set(input.id, stored?.status);
    if (applyToIntegration(integrationById.get(merged.integrationId)!, merged, base?.status)) recount.add(merged.integrationId);
    toWrite.set(input.id, {
      id: merged.id,
      integrationId: merged.integrationId,
      status: merged.status,
      trigger: merged.trigger ?? stored?.trigger ?? "scheduler",
      startedAt: merged.startedAt,
      finishedAt: merged.finishedAt ?? null,
      error: merged.error ?? null,
      requestedBy: merged.requestedBy ?? stored?.requestedBy ?? null,
    });
  }
  if (toWrite.size === 0) return { written: 0, ignored, changedManualRuns: [] };

  const stamp = writeDate(db, now);
  const runs = [...toWrite.values()];
  const rows = jsonRows(
    db,
    runs.map((run) => [run.id, run.integrationId, run.status, run.trigger, writeDate(db, run.startedAt), writeDate(db, run.finishedAt), run.error, run.requestedBy, stamp, stamp]),
    [
      { name: "id" }, { name: "integration_id" }, { name: "status" }, { name: '"trigger"' }, { name: "started_at", type: "TIMESTAMPTZ" },
      { name: "finished_at", type: "TIMESTAMPTZ" }, { name: "error" }, { name: "requested_by" }, { name: "created_at", type: "TIMESTAMPTZ" }, { name: "updated_at", type: "TIMESTAMPTZ" },
    ],
  );
  // A stored run keeps its trigger, requester and Slack message; only what the report changes is updated.
  // (`WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.)
  await sequelize.query(
    `INSERT INTO flow_runs (${RUN_COLUMNS}, created_at, updated_at) SELECT ${RUN_COLUMNS}, created_at, updated_at FROM ${rows.sql} r WHERE true
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, error = excluded.error, updated_at = excluded.updated_at`,
    { type: QueryTypes.INSERT, transaction, bind: rows.bind },
  );

  await applyRunDays(db, runDayChanges(runs, storedById), transaction);
  if (recount.size) await recountFailureStreaks(db, [...recount].map((id) => integrationById.get(id)!), transaction);
  await writeLatestRuns(db, [...integrationById.values()], before, stamp, transaction);
  await keepErrorSignatures(db, integrationById.values(), before, transaction);
  // The kept health verdict of the integrations these runs touched, with the thresholds it is kept with.
  const touched = [...new Set(runs.map((run) => run.integrationId))].sort();
  const newRuns = new Set(runs.filter((run) => !storedById.has(run.id)).map((run) => run.integrationId));
  await refreshHealthOf(db, touched, now, await keptThresholds(db, transaction), { gapIds: newRuns, transaction });
  const changedManualIds = runs.filter((run) => run.trigger === "manual" && previous.get(run.id) !== run.status).map((run) => run.id);
  const changedManualRuns: FlowRunRecord[] = changedManualIds.length
    ? (await db.models.FlowRun.findAll({ where: { id: { [Op.in]: changedManualIds } }, transaction })).map(plain)
    : [];
  return { written: runs.length, ignored, changedManualRuns };
}

/** A stored run as deleting it needs: its id, integration, day and whether it counted as an error. */
interface DeletedRun {
  id: string;
  integrationId: string;
  startedAt: Date;
  status: RunStatus;
}

/** Deletes runs and takes them out of the per-day roll-up, in the caller's transaction (retention, a withdrawal). */
export async function deleteRuns(db: Database, runs: readonly DeletedRun[], transaction: Transaction): Promise<void> {
  if (runs.length === 0) return;
  const ids = jsonList(db, runs.map((run) => run.id));
  await db.sequelize.query(`DELETE FROM flow_runs WHERE id IN ${ids.sql}`, { type: QueryTypes.BULKDELETE, transaction, bind: ids.bind });
  await applyRunDays(db, runs.map((run) => ({ integrationId: run.integrationId, startedAt: run.startedAt, runs: -1, errors: run.status === "error" ? -1 : 0 })), transaction);
}

/**
 * Withdraws manual runs recorded `running` whose request never went out (a bulk run claimed them ahead of its lanes
 * and then stopped), in the caller's transaction: each is deleted with its day in the roll-up, the manual-run claim
 * that still holds it is released, an integration whose latest run it was gets its newest remaining run back as the
 * latest (with its error signature, and its activity: that run's start, else the activation), and the kept health
 * of these integrations is recomputed. Only runs still `running` that the engine never answered go (their
 * integrations locked first on PostgreSQL, in id order, as recordRuns locks them); returns their ids.
 */
export async function withdrawRuns(db: Database, runIds: readonly string[], transaction: Transaction, now: Date): Promise<string[]> {
  if (runIds.length === 0) return [];
  const { sequelize } = db;
  const unanswered = async () => {
    const list = jsonList(db, runIds);
    const rows = await sequelize.query<Row>(`SELECT ${RUN_COLUMNS} FROM flow_runs WHERE id IN ${list.sql} AND status = 'running' AND engine_answered_at IS NULL`, {
      type: QueryTypes.SELECT,
      transaction,
      bind: list.bind,
    });
    return rows.map(storedRun);
  };
  let runs = await unanswered();
  if (runs.length === 0) return [];
  const integrationIds = [...new Set(runs.map((run) => run.integrationId))].sort();
  const integrationList = jsonList(db, integrationIds);
  const integrationRows = await sequelize.query<Row>(
    `SELECT ${INTEGRATION_COLUMNS}, created_at FROM integrations WHERE id IN ${integrationList.sql} ORDER BY id${db.dialect === "postgres" ? " FOR UPDATE" : ""}`,
    { type: QueryTypes.SELECT, transaction, bind: integrationList.bind },
  );
  // Read again under the locks: a report may have reached one of them meanwhile.
  if (db.dialect === "postgres") runs = await unanswered();
  if (runs.length === 0) return [];
  await deleteRuns(db, runs, transaction);
  const gone = new Set(runs.map((run) => run.id));
  const states = integrationRows.map(latestRunState);
  const before = new Map(states.map((state) => [state.id, { ...state }]));
  const createdAt = new Map(integrationRows.map((row) => [String(row.id), readDate(row.created_at)!]));
  for (const state of states) {
    if (state.manualRunId && gone.has(state.manualRunId)) state.manualRunId = null;
    if (!state.latestRunId || !gone.has(state.latestRunId)) continue;
    const [newest] = await sequelize.query<Row>(`SELECT ${RUN_COLUMNS} FROM flow_runs WHERE integration_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1`, {
      type: QueryTypes.SELECT,
      transaction,
      bind: [state.id],
    });
    const latest = newest ? storedRun(newest) : undefined;
    state.latestRunId = latest?.id ?? null;
    state.latestRunStatus = latest?.status ?? null;
    state.latestRunAt = latest?.startedAt ?? null;
    state.latestRunError = latest?.status === "error" ? latest.error : null;
    const activatedAt = createdAt.get(state.id)!;
    state.activityAt = latest && latest.startedAt > activatedAt ? latest.startedAt : activatedAt;
  }
  await writeLatestRuns(db, states, before, writeDate(db, now), transaction);
  await keepErrorSignatures(db, states, before, transaction);
  await refreshHealthOf(db, integrationIds, now, await keptThresholds(db, transaction), { gapIds: new Set(integrationIds), transaction });
  return [...gone];
}

/** The latest `limit` runs of an integration, newest first. */
export async function recentRuns(db: Database, integrationId: string, limit: number): Promise<FlowRunRecord[]> {
  return (await runPage(db, integrationId, { limit })).rows;
}

/** One page of an integration's runs, newest first. */
export async function runPage(db: Database, integrationId: string, page: PageRequest): Promise<Page<FlowRunRecord>> {
  return keysetPage(db, db.models.FlowRun, equals(db.models.FlowRun, "integrationId", integrationId), "startedAt", page);
}

/** One flow run by id, if it exists. */
export async function findRun(db: Database, runId: string): Promise<FlowRunRecord | null> {
  const run = await db.models.FlowRun.findByPk(runId);
  return run ? run.get({ plain: true }) : null;
}

/** Records one batch of run events in its own transaction: all of them, or none when one is rejected. */
export async function recordRunBatch(db: Database, inputs: RunInput[], now: Date): Promise<RecordedRuns> {
  return db.sequelize.transaction((transaction) => recordRuns(db, inputs, transaction, now));
}
