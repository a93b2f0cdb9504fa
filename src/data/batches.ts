import { randomBytes } from "node:crypto";
import { DataTypes, Model, Op, QueryTypes, type InferAttributes, type InferCreationAttributes, type Sequelize, type Transaction, type WhereOptions } from "sequelize";
import { runOutcome } from "../domain/bulk.ts";
import { actorLabel, type Actor, type GroupScope } from "../domain/permissions.ts";
import { recordAudits } from "./audit.ts";
import { jsonList, jsonObject, jsonValueAt } from "./json-rows.ts";
import { Binder } from "./bound.ts";
import type { Database } from "./database.ts";
import { recordRuns, withdrawRuns } from "./flow-runs.ts";
import { setIntegrationStatus } from "./integration-status.ts";
import { plain } from "./models/index.ts";
import type { IntegrationRecord, RunStatus } from "./records.ts";

// The only door to the batches and batch_members tables: plain values in, plain rows out, every value bound.

/** What a bulk action does to each member. */
export type BatchAction = "run" | "disable" | "enable";

/**
 * Where a batch is: `preview` (shown, not confirmed), `awaiting_approval`, `queued`, `running` (members being acted on),
 * `settling` (every run request answered, waiting for the engine's outcomes), and the ends `finished`, `aborted`, `expired`.
 */
export type BatchStatus = "preview" | "awaiting_approval" | "queued" | "running" | "settling" | "finished" | "aborted" | "expired";

/** The statuses a worker acts on. */
const ACTIVE_STATUSES: readonly BatchStatus[] = ["queued", "running", "settling"];

/** A member's progress: pending → in_flight → done, each step behind a guard on the step before. */
export type MemberState = "pending" | "in_flight" | "done";

/**
 * A member's outcome: for runs `succeeded`, `failed`, `running` (the engine has not reported yet) or `skipped`;
 * for disable/enable `changed` or `unchanged` (it already was so); `aborted` when the batch stopped first.
 */
export type MemberOutcome = "succeeded" | "failed" | "running" | "skipped" | "changed" | "unchanged" | "aborted";

/** A batch's columns. */
export interface BatchRecord {
  id: string;
  action: BatchAction;
  status: BatchStatus;
  requestedBy: string;
  requesterSlackUserId: string | null;
  approvedBy: string | null;
  approverSlackUserId: string | null;
  filterText: string;
  reason: string | null;
  total: number;
  /** Integrations of the result the requester may not act on: counted, never touched. */
  apart: number;
  /** Who aborted it, if someone did. */
  abortedBy: string | null;
  undoOf: string | null;
  undoneBy: string | null;
  channel: string | null;
  messageTs: string | null;
  /** A preview or an approval request stops being valid at this time. */
  expiresAt: Date | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** A member's columns. */
export interface BatchMemberRecord {
  batchId: string;
  integrationId: string;
  position: number;
  groupId: string;
  name: string;
  state: MemberState;
  outcome: MemberOutcome | null;
  detail: string | null;
  runId: string | null;
  /** For a disable: the reason it had before (none); for an enable: the disable reason it had, so an undo puts it back. */
  previousReason: string | null;
  updatedAt: Date;
}

class BatchRow extends Model<InferAttributes<BatchRow>, InferCreationAttributes<BatchRow>> {
  declare id: string;
  declare action: BatchAction;
  declare status: BatchStatus;
  declare requestedBy: string;
  declare requesterSlackUserId: string | null;
  declare approvedBy: string | null;
  declare approverSlackUserId: string | null;
  declare filterText: string;
  declare reason: string | null;
  declare total: number;
  declare apart: number;
  declare abortedBy: string | null;
  declare undoOf: string | null;
  declare undoneBy: string | null;
  declare channel: string | null;
  declare messageTs: string | null;
  declare expiresAt: Date | null;
  declare leaseOwner: string | null;
  declare leaseUntil: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
  declare finishedAt: Date | null;
}

class MemberRow extends Model<InferAttributes<MemberRow>, InferCreationAttributes<MemberRow>> {
  declare batchId: string;
  declare integrationId: string;
  declare position: number;
  declare groupId: string;
  declare name: string;
  declare state: MemberState;
  declare outcome: MemberOutcome | null;
  declare detail: string | null;
  declare runId: string | null;
  declare previousReason: string | null;
  declare updatedAt: Date;
}

type BatchModels = { Batch: typeof BatchRow; Member: typeof MemberRow };
const defined = new WeakMap<Sequelize, BatchModels>();

/** The two models, defined once per Sequelize instance (a subclass each, so two databases never share classes). */
function models(db: Database): BatchModels {
  const known = defined.get(db.sequelize);
  if (known) return known;
  const sequelize = db.sequelize;
  const Batch = (class extends BatchRow {}).init(
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      action: { type: DataTypes.STRING(16), allowNull: false },
      status: { type: DataTypes.STRING(24), allowNull: false },
      requestedBy: { type: DataTypes.STRING, allowNull: false },
      requesterSlackUserId: { type: DataTypes.STRING, allowNull: true },
      approvedBy: { type: DataTypes.STRING, allowNull: true },
      approverSlackUserId: { type: DataTypes.STRING, allowNull: true },
      filterText: { type: DataTypes.TEXT, allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: true },
      total: { type: DataTypes.INTEGER, allowNull: false },
      apart: { type: DataTypes.INTEGER, allowNull: false },
      abortedBy: { type: DataTypes.STRING, allowNull: true },
      undoOf: { type: DataTypes.STRING, allowNull: true },
      undoneBy: { type: DataTypes.STRING, allowNull: true },
      channel: { type: DataTypes.STRING, allowNull: true },
      messageTs: { type: DataTypes.STRING, allowNull: true },
      expiresAt: { type: DataTypes.DATE, allowNull: true },
      leaseOwner: { type: DataTypes.STRING, allowNull: true },
      leaseUntil: { type: DataTypes.DATE, allowNull: true },
      createdAt: { type: DataTypes.DATE, allowNull: false },
      updatedAt: { type: DataTypes.DATE, allowNull: false },
      finishedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, modelName: "Batch", tableName: "batches", timestamps: false },
  );
  const Member = (class extends MemberRow {}).init(
    {
      batchId: { type: DataTypes.STRING, primaryKey: true },
      integrationId: { type: DataTypes.STRING, primaryKey: true },
      position: { type: DataTypes.INTEGER, allowNull: false },
      groupId: { type: DataTypes.STRING, allowNull: false },
      name: { type: DataTypes.STRING, allowNull: false },
      state: { type: DataTypes.STRING(16), allowNull: false },
      outcome: { type: DataTypes.STRING(16), allowNull: true },
      detail: { type: DataTypes.TEXT, allowNull: true },
      runId: { type: DataTypes.STRING, allowNull: true },
      previousReason: { type: DataTypes.TEXT, allowNull: true },
      updatedAt: { type: DataTypes.DATE, allowNull: false },
    },
    { sequelize, modelName: "BatchMember", tableName: "batch_members", timestamps: false },
  );
  const built = { Batch, Member };
  defined.set(sequelize, built);
  return built;
}

const batchRecord = (row: BatchRow): BatchRecord => row.get({ plain: true }) as BatchRecord;
const memberRecord = (row: MemberRow): BatchMemberRecord => row.get({ plain: true }) as BatchMemberRecord;

/** Rows written per statement, so no statement exceeds a driver's parameter limit. */
const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A new batch id: `b_` and twelve random hex digits. */
export function newBatchId(): string {
  return `b_${randomBytes(6).toString("hex")}`;
}

/** What a new batch holds. */
interface NewBatch {
  id: string;
  action: BatchAction;
  status: BatchStatus;
  requestedBy: string;
  requesterSlackUserId: string | null;
  filterText: string;
  reason: string | null;
  apart: number;
  undoOf?: string | null;
  expiresAt: Date | null;
  members: Array<{ integrationId: string; groupId: string; name: string; previousReason?: string | null }>;
  at: Date;
}

/** Stores a batch and its members (all pending), in one transaction. */
export async function createBatch(db: Database, batch: NewBatch, outer?: Transaction): Promise<BatchRecord> {
  const { Batch, Member } = models(db);
  const work = async (transaction: Transaction) => {
    const row = await Batch.create(
      {
        id: batch.id,
        action: batch.action,
        status: batch.status,
        requestedBy: batch.requestedBy,
        requesterSlackUserId: batch.requesterSlackUserId,
        approvedBy: null,
        approverSlackUserId: null,
        filterText: batch.filterText,
        reason: batch.reason,
        total: batch.members.length,
        apart: batch.apart,
        abortedBy: null,
        undoOf: batch.undoOf ?? null,
        undoneBy: null,
        channel: null,
        messageTs: null,
        expiresAt: batch.expiresAt,
        leaseOwner: null,
        leaseUntil: null,
        createdAt: batch.at,
        updatedAt: batch.at,
        finishedAt: null,
      },
      { transaction },
    );
    let position = 0;
    for (const part of chunks(batch.members)) {
      await Member.bulkCreate(
        part.map((member) => ({
          batchId: batch.id,
          integrationId: member.integrationId,
          position: position++,
          groupId: member.groupId,
          name: member.name,
          state: "pending" as const,
          outcome: null,
          detail: null,
          runId: null,
          previousReason: member.previousReason ?? null,
          updatedAt: batch.at,
        })),
        { transaction },
      );
    }
    return batchRecord(row);
  };
  return outer ? work(outer) : db.sequelize.transaction(work);
}

/** One batch, or null. */
export async function findBatch(db: Database, id: string): Promise<BatchRecord | null> {
  const row = await models(db).Batch.findByPk(id);
  return row ? batchRecord(row) : null;
}

/**
 * Moves a batch from one of `from` to `to`, with the given columns, only if it still is in one of `from`:
 * of two clicks at once exactly one moves it. True when this call moved it.
 */
export async function moveBatch(
  db: Database,
  id: string,
  from: readonly BatchStatus[],
  to: BatchStatus,
  at: Date,
  fields: Partial<Pick<BatchRecord, "abortedBy" | "approvedBy" | "approverSlackUserId" | "channel" | "messageTs" | "expiresAt" | "finishedAt" | "leaseOwner" | "leaseUntil">> = {},
  transaction?: Transaction,
): Promise<boolean> {
  const [count] = await models(db).Batch.update({ ...fields, status: to, updatedAt: at }, { where: { id, status: { [Op.in]: [...from] } }, transaction });
  return count === 1;
}

/** Records where the batch's summary message lives. */
export async function setBatchMessage(db: Database, id: string, ref: { channel: string; ts: string }, at: Date): Promise<void> {
  await models(db).Batch.update({ channel: ref.channel, messageTs: ref.ts, updatedAt: at }, { where: { id } });
}

/** Marks `id` undone by `undoId`, only if no undo was recorded before. True when this call recorded it. */
async function markUndone(db: Database, id: string, undoId: string, at: Date, transaction?: Transaction): Promise<boolean> {
  const [count] = await models(db).Batch.update({ undoneBy: undoId, updatedAt: at }, { where: { id, undoneBy: null }, transaction });
  return count === 1;
}

/**
 * Claims one batch that needs work and whose lease is free or expired, for `owner` until `until`.
 * The claim is a conditional UPDATE on the lease seen, so of two replicas exactly one gets a batch.
 */
export async function claimBatch(db: Database, owner: string, now: Date, until: Date): Promise<BatchRecord | null> {
  const { Batch } = models(db);
  const free = { [Op.or]: [{ leaseUntil: null }, { leaseUntil: { [Op.lt]: now } }] };
  const candidates = await Batch.findAll({ where: { status: { [Op.in]: [...ACTIVE_STATUSES] }, ...free }, order: [["createdAt", "ASC"]], limit: 5 });
  for (const candidate of candidates) {
    const seen: WhereOptions = candidate.leaseUntil === null ? { leaseUntil: null } : { leaseUntil: candidate.leaseUntil, leaseOwner: candidate.leaseOwner };
    const [count] = await Batch.update({ leaseOwner: owner, leaseUntil: until }, { where: { id: candidate.id, status: { [Op.in]: [...ACTIVE_STATUSES] }, ...seen } });
    if (count === 1) return batchRecord((await Batch.findByPk(candidate.id))!);
  }
  return null;
}

/** Extends the lease while `owner` still holds it; false when it lost it (expired and taken, or the batch ended). */
export async function renewLease(db: Database, id: string, owner: string, until: Date): Promise<BatchRecord | null> {
  const { Batch } = models(db);
  const [count] = await Batch.update({ leaseUntil: until }, { where: { id, leaseOwner: owner } });
  if (count !== 1) return null;
  const row = await Batch.findByPk(id);
  return row ? batchRecord(row) : null;
}

/** Gives the lease up, so another replica may take the batch at once. */
export async function releaseLease(db: Database, id: string, owner: string): Promise<void> {
  await models(db).Batch.update({ leaseOwner: null, leaseUntil: null }, { where: { id, leaseOwner: owner } });
}

/** Members left in flight (by a process that stopped): recovery resolves each. */
export async function inFlightMembers(db: Database, batchId: string): Promise<BatchMemberRecord[]> {
  const rows = await models(db).Member.findAll({ where: { batchId, state: "in_flight" }, order: [["position", "ASC"]] });
  return rows.map(memberRecord);
}

/**
 * Takes the next `limit` pending members of a batch at once (pending → in_flight, one transaction) and answers
 * exactly those this call took: on PostgreSQL rows another replica holds are skipped, on SQLite the
 * transaction holds the write lock. A member taken without a run was not acted on yet.
 */
export async function takeMembers(db: Database, batchId: string, limit: number, at: Date): Promise<BatchMemberRecord[]> {
  const { Member } = models(db);
  return db.sequelize.transaction(async (transaction) => {
    const rows = await Member.findAll({
      where: { batchId, state: "pending" },
      order: [["position", "ASC"]],
      limit,
      transaction,
      ...(db.dialect === "postgres" ? { lock: true, skipLocked: true } : {}),
    });
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.integrationId);
    const [count] = await Member.update({ state: "in_flight", updatedAt: at }, { where: { batchId, state: "pending", integrationId: { [Op.in]: ids } }, transaction });
    if (count !== ids.length) throw new Error(`took ${count} of ${ids.length} locked batch members`);
    return rows.map((row) => ({ ...memberRecord(row), state: "in_flight" as const, updatedAt: at }));
  });
}

/** in_flight → pending for members taken but not acted on (a stop): the next look takes them again. */
export async function returnMembers(db: Database, batchId: string, integrationIds: readonly string[], at: Date): Promise<number> {
  let total = 0;
  for (const part of chunks(integrationIds)) {
    const [count] = await models(db).Member.update({ state: "pending", updatedAt: at }, { where: { batchId, state: "in_flight", runId: null, integrationId: { [Op.in]: part } } });
    total += count;
  }
  return total;
}

/** in_flight → done as `outcome` for members taken but not acted on (an abort); returns how many. */
export async function closeTaken(db: Database, batchId: string, integrationIds: readonly string[], outcome: MemberOutcome, detail: string, at: Date): Promise<number> {
  let total = 0;
  for (const part of chunks(integrationIds)) {
    const [count] = await models(db).Member.update({ state: "done", outcome, detail, updatedAt: at }, { where: { batchId, state: "in_flight", runId: null, integrationId: { [Op.in]: part } } });
    total += count;
  }
  return total;
}

/** in_flight → pending: recovery of a member nothing was done for. */
export async function returnMember(db: Database, batchId: string, integrationId: string, at: Date): Promise<boolean> {
  const [count] = await models(db).Member.update({ state: "pending", updatedAt: at }, { where: { batchId, integrationId, state: "in_flight" } });
  return count === 1;
}

/** A member's outcome as recorded. */
interface MemberResult {
  outcome: MemberOutcome;
  detail?: string | null;
  runId?: string | null;
  previousReason?: string | null;
}

/** in_flight → done with its outcome, inside the caller's transaction when given; false when it was not in flight. */
export async function finishMember(db: Database, batchId: string, integrationId: string, result: MemberResult, at: Date, transaction?: Transaction): Promise<boolean> {
  const fields: Partial<InferAttributes<MemberRow>> = { state: "done", outcome: result.outcome, detail: result.detail ?? null, updatedAt: at };
  if (result.runId !== undefined) fields.runId = result.runId;
  if (result.previousReason !== undefined) fields.previousReason = result.previousReason;
  const [count] = await models(db).Member.update(fields, { where: { batchId, integrationId, state: "in_flight" }, transaction });
  return count === 1;
}

/** pending → done as `outcome` for every member still pending (an abort, a permission lost); returns how many. */
export async function closePending(db: Database, batchId: string, outcome: MemberOutcome, detail: string, at: Date, integrationIds?: string[]): Promise<number> {
  const { Member } = models(db);
  if (!integrationIds) {
    const [count] = await Member.update({ state: "done", outcome, detail, updatedAt: at }, { where: { batchId, state: "pending" } });
    return count;
  }
  let total = 0;
  for (const part of chunks(integrationIds)) {
    const [count] = await Member.update({ state: "done", outcome, detail, updatedAt: at }, { where: { batchId, state: "pending", integrationId: { [Op.in]: part } } });
    total += count;
  }
  return total;
}

/** How many members are in each state and outcome. */
export interface MemberTally {
  pending: number;
  inFlight: number;
  done: number;
  outcomes: Partial<Record<MemberOutcome, number>>;
}

/** Counts a batch's members by state and outcome (two grouped counts). */
export async function tallyMembers(db: Database, batchId: string): Promise<MemberTally> {
  const { Member } = models(db);
  const rows = (await Member.findAll({
    where: { batchId },
    attributes: ["state", "outcome", [db.sequelize.fn("COUNT", db.sequelize.col("integration_id")), "n"]],
    group: ["state", "outcome"],
    raw: true,
  })) as unknown as Array<{ state: MemberState; outcome: MemberOutcome | null; n: number | string }>;
  const tally: MemberTally = { pending: 0, inFlight: 0, done: 0, outcomes: {} };
  for (const row of rows) {
    const n = Number(row.n);
    if (row.state === "pending") tally.pending += n;
    else if (row.state === "in_flight") tally.inFlight += n;
    else tally.done += n;
    if (row.outcome) tally.outcomes[row.outcome] = (tally.outcomes[row.outcome] ?? 0) + n;
  }
  return tally;
}

/** A batch's members with one of the outcomes, in order, at most `limit` (failures to show, the set an undo restores). */
export async function membersWithOutcome(db: Database, batchId: string, outcomes: readonly MemberOutcome[], limit?: number): Promise<BatchMemberRecord[]> {
  const rows = await models(db).Member.findAll({ where: { batchId, outcome: { [Op.in]: [...outcomes] } }, order: [["position", "ASC"]], limit });
  return rows.map(memberRecord);
}

/** Members that ended with one outcome and one reason: how many, and the first few in order. */
export interface ProblemGroup {
  outcome: MemberOutcome;
  detail: string | null;
  count: number;
  first: Array<{ integrationId: string; name: string }>;
}

/**
 * A batch's failed and skipped members grouped by outcome and reason, the largest groups first (ties: the group
 * met first), at most `limit` groups with the first `sample` members of each; and how many groups there are in all.
 */
export async function problemGroups(db: Database, batchId: string, limit: number, sample: number): Promise<{ groups: ProblemGroup[]; total: number }> {
  const { Member } = models(db);
  const { fn, col, literal } = db.sequelize;
  const where = { batchId, outcome: { [Op.in]: ["failed", "skipped"] } };
  const rows = (await Member.findAll({
    where,
    attributes: ["outcome", "detail", [fn("COUNT", col("integration_id")), "n"], [fn("MIN", col("position")), "first"]],
    group: ["outcome", "detail"],
    order: [[literal("n"), "DESC"], [literal("first"), "ASC"]],
    raw: true,
  })) as unknown as Array<{ outcome: MemberOutcome; detail: string | null; n: number | string }>;
  const groups: ProblemGroup[] = [];
  for (const row of rows.slice(0, limit)) {
    const first = await Member.findAll({
      where: { batchId, outcome: row.outcome, detail: row.detail === null ? { [Op.is]: null } : row.detail },
      attributes: ["integrationId", "name"],
      order: [["position", "ASC"]],
      limit: sample,
      raw: true,
    });
    groups.push({ outcome: row.outcome, detail: row.detail, count: Number(row.n), first: first.map((member) => ({ integrationId: member.integrationId, name: member.name })) });
  }
  return { groups, total: rows.length };
}

/** The distinct groups of a batch's members. */
export async function memberGroups(db: Database, batchId: string): Promise<string[]> {
  const rows = (await models(db).Member.findAll({ where: { batchId }, attributes: ["groupId"], group: ["groupId"], raw: true })) as unknown as Array<{ groupId: string }>;
  return rows.map((row) => row.groupId).sort();
}

/**
 * Takes the engine's later reports into account: each member still `running` whose flow run has finished
 * gets that run's outcome (success → succeeded, error → failed). Returns how many changed.
 */
export async function settleRunOutcomes(db: Database, batchId: string, at: Date): Promise<number> {
  const { Member } = models(db);
  const waiting = (await Member.findAll({ where: { batchId, outcome: "running" }, attributes: ["integrationId", "runId"], raw: true })) as unknown as Array<{ integrationId: string; runId: string | null }>;
  let changed = 0;
  for (const part of chunks(waiting.filter((member) => member.runId))) {
    const runs = await db.models.FlowRun.findAll({ where: { id: { [Op.in]: part.map((member) => member.runId!) }, status: { [Op.in]: ["success", "error"] } }, attributes: ["id", "status", "error"], raw: true });
    for (const run of runs) {
      const member = part.find((m) => m.runId === run.id)!;
      const [count] = await Member.update(
        { outcome: run.status === "success" ? "succeeded" : "failed", detail: run.status === "error" ? (run.error ?? "failed") : null, updatedAt: at },
        { where: { batchId, integrationId: member.integrationId, outcome: "running" } },
      );
      changed += count;
    }
  }
  return changed;
}


/** The latest batches (not previews) with a member in the scope, or all of them for an unlimited scope; newest first. */
export async function latestBatches(db: Database, scope: GroupScope, limit: number): Promise<BatchRecord[]> {
  const { Batch, Member } = models(db);
  const where: WhereOptions = { status: { [Op.ne]: "preview" } };
  if (!scope.all) {
    if (scope.groupIds.length === 0) return [];
    const ids = (await Member.findAll({ where: { groupId: { [Op.in]: scope.groupIds } }, attributes: ["batchId"], group: ["batchId"], raw: true })) as unknown as Array<{ batchId: string }>;
    if (ids.length === 0) return [];
    Object.assign(where, { id: { [Op.in]: ids.map((row) => row.batchId) } });
  }
  const rows = await Batch.findAll({ where, order: [["createdAt", "DESC"], ["id", "DESC"]], limit });
  return rows.map(batchRecord);
}

/** Batches waiting for an approval or a confirmation past their expiry: moved to `expired`; returns their ids. */
export async function expireBatches(db: Database, now: Date): Promise<string[]> {
  const { Batch } = models(db);
  const rows = await Batch.findAll({ where: { status: { [Op.in]: ["preview", "awaiting_approval"] }, expiresAt: { [Op.lt]: now } }, attributes: ["id"], raw: true });
  const expired: string[] = [];
  for (const row of rows) if (await moveBatch(db, row.id, ["preview", "awaiting_approval"], "expired", now, { finishedAt: now })) expired.push(row.id);
  return expired;
}

/**
 * Disables or enables one member's integration and records the member done, in one transaction: a member found
 * in flight after a restart therefore changed nothing and may be taken again. `changed` or `unchanged`.
 */
export async function changeMemberStatus(
  db: Database,
  change: { batchId: string; integrationId: string; status: "enabled" | "disabled"; actor: Actor; reason: string | null; auditDetail: string; at: Date },
): Promise<MemberOutcome | null> {
  return db.sequelize.transaction(async (transaction) => {
    const before = await db.models.Integration.findByPk(change.integrationId, { transaction, attributes: ["id", "disabledReason"], raw: true });
    if (!before) {
      const done = await finishMember(db, change.batchId, change.integrationId, { outcome: "skipped", detail: "deleted meanwhile" }, change.at, transaction);
      return done ? "skipped" : null;
    }
    const result = await setIntegrationStatus(db, { integrationId: change.integrationId, status: change.status, actor: change.actor, reason: change.reason, at: change.at, auditDetail: change.auditDetail }, transaction);
    const outcome: MemberOutcome = result.changed ? "changed" : "unchanged";
    const done = await finishMember(
      db,
      change.batchId,
      change.integrationId,
      { outcome, detail: result.changed ? null : `already ${change.status}`, previousReason: change.status === "enabled" ? (before.disabledReason ?? null) : undefined },
      change.at,
      transaction,
    );
    if (!done) throw new MemberTakenError();
    return outcome;
  }).catch((error: unknown) => {
    // Another process resolved the member meanwhile: its change (if any) stands, this one is rolled back.
    if (error instanceof MemberTakenError) return null;
    throw error;
  });
}

class MemberTakenError extends Error {}

/** Records an abort on a batch still under way (once: a second abort finds it recorded); true when this call did. */
export async function markAborted(db: Database, id: string, by: string, at: Date): Promise<boolean> {
  const [count] = await models(db).Batch.update(
    { abortedBy: by, updatedAt: at },
    { where: { id, abortedBy: null, status: { [Op.in]: ["awaiting_approval", "queued", "running"] } } },
  );
  return count === 1;
}

/** Parks a batch's lease until `until` (a settling batch waits for the engine's reports without being taken). */
export async function parkLease(db: Database, id: string, owner: string, until: Date): Promise<void> {
  await models(db).Batch.update({ leaseOwner: null, leaseUntil: until }, { where: { id, leaseOwner: owner } });
}

/** A flow run's status and error, or null when there is no such run. */
export async function runState(db: Database, runId: string): Promise<{ status: string; error: string | null } | null> {
  const run = await db.models.FlowRun.findByPk(runId, { attributes: ["status", "error"], raw: true });
  return run ? { status: run.status, error: run.error ?? null } : null;
}

/** Group and partner names by id (ids without a group map to themselves). */
export async function groupNames(db: Database, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = ids.length ? await db.models.Group.findAll({ where: { id: { [Op.in]: [...ids] } }, attributes: ["id", "name"], raw: true }) : [];
  const names = new Map(rows.map((row) => [row.id, row.name]));
  for (const id of ids) if (!names.has(id)) names.set(id, id);
  return names;
}

/**
 * Stores the undo of a finished batch and marks the original undone, in one transaction; null when the original
 * was undone already (an undo twice, or two clicks at once), and then nothing is stored.
 */
export async function createUndoBatch(db: Database, originalId: string, batch: NewBatch): Promise<BatchRecord | null> {
  return db.sequelize
    .transaction(async (transaction) => {
      if (!(await markUndone(db, originalId, batch.id, batch.at, transaction))) throw new AlreadyUndone();
      return createBatch(db, batch, transaction);
    })
    .catch((error: unknown) => {
      if (error instanceof AlreadyUndone) return null;
      throw error;
    });
}

class AlreadyUndone extends Error {}

/** A member whose manual run one claim of several took: what its request needs. */
export interface ClaimedMemberRun {
  integrationId: string;
  runId: string;
  requestedBy: string;
  startedAt: Date;
  integration: IntegrationRecord;
  /** The integration's flow's trigger URL (the request uses the integration's own first). */
  flowTriggerUrl: string | null;
}

/** What a claim of several members' runs found. */
interface ClaimedRuns {
  /** The batch was aborted: nothing was claimed. */
  aborted: boolean;
  claimed: ClaimedMemberRun[];
  /** Members the quick claim could not take (a run held, disabled, deleted, its run id seen before): one by one. */
  contended: string[];
}

/**
 * Claims the manual runs of several taken members at once, in one transaction: each integration's manual-run
 * claim (the conditional UPDATE a single run takes too), the runs recorded `running`, the requests audited, and the
 * member rows given their run ids. A run recorded means its request may go out: after a restart it is never sent
 * again. An integration the quick claim cannot take is answered as contended, untouched, for the one-by-one claim.
 * Nothing is claimed once the batch is aborted: an abort stops it before the next request.
 */
export async function claimMemberRuns(
  db: Database,
  claim: {
    batchId: string;
    members: Array<{ integrationId: string; runId: string }>;
    actor: Actor;
    auditDetail: (runId: string) => string;
    now: Date;
    /** Trigger URLs of flows seen before (filled in here): a batch's members mostly share a few flows. */
    flowUrls: Map<string, string | null>;
  },
): Promise<ClaimedRuns> {
  const { members, actor, now, flowUrls } = claim;
  if (members.length === 0) return { aborted: false, claimed: [], contended: [] };
  const { Integration, FlowRun, EmbedFlow } = db.models;
  const { Batch, Member } = models(db);
  const requestedBy = actorLabel(actor);
  const runIdOf = new Map(members.map((m) => [m.integrationId, m.runId]));
  /** Each integration's run id, as one JSON object: one statement gives each row its own (jsonValueAt). */
  const runIdsJson = jsonObject(runIdOf);
  return db.sequelize.transaction(async (transaction): Promise<ClaimedRuns> => {
    const batch = await Batch.findByPk(claim.batchId, { attributes: ["id", "abortedBy"], transaction });
    if (!batch || batch.abortedBy) return { aborted: true, claimed: [], contended: [] };
    // On PostgreSQL the rows are locked in id order first, as recordRuns locks them (no deadlock with POST /api/runs),
    // and only then are the runs looked for: a replica that claimed them meanwhile has committed its runs by now.
    if (db.dialect === "postgres") {
      const ids = jsonList(db, members.map((m) => m.integrationId));
      await db.sequelize.query(`SELECT id FROM integrations WHERE id IN ${ids.sql} ORDER BY id FOR UPDATE`, { transaction, bind: ids.bind });
    }
    const seen = new Set((await FlowRun.findAll({ where: { id: { [Op.in]: members.map((m) => m.runId) } }, attributes: ["id"], raw: true, transaction })).map((run) => run.id));
    const fresh = members.filter((m) => !seen.has(m.runId)).map((m) => m.integrationId);
    // The claim of each integration's manual run, as a single run takes it: only where none is held. The rows this
    // statement changed are the ones won; a run id alone proves nothing, since every replica derives the same one.
    const claimRuns = new Binder(db.dialect);
    const wonIds = fresh.length
      ? (
          await db.sequelize.query<{ id: string }>(
            `UPDATE integrations SET manual_run_id = ${jsonValueAt(db, claimRuns.value(runIdsJson), "integrations.id")}
             WHERE id IN (${claimRuns.list(fresh)}) AND manual_run_id IS NULL AND status = 'enabled' RETURNING id`,
            { type: QueryTypes.SELECT, transaction, bind: claimRuns.values },
          )
        ).map((row) => String(row.id))
      : [];
    const rows = wonIds.length ? await Integration.findAll({ where: { id: { [Op.in]: wonIds } }, transaction }) : [];
    const integrations = new Map(rows.map((row) => [row.id, plain(row)]));
    const won = members.filter((m) => integrations.has(m.integrationId));
    const contended = members.filter((m) => !integrations.has(m.integrationId)).map((m) => m.integrationId);
    if (won.length === 0) return { aborted: false, claimed: [], contended };
    await recordRuns(db, won.map((m) => ({ id: m.runId, integrationId: m.integrationId, status: "running" as const, trigger: "manual" as const, startedAt: now, requestedBy })), transaction, now);
    const runIds = won.map((m) => m.runId);
    const slackUserId = actor.kind === "operator" ? actor.slackUserId : undefined;
    if (slackUserId) await FlowRun.update({ requestedBySlackUserId: slackUserId }, { where: { id: { [Op.in]: runIds } }, transaction });
    await recordAudits(
      db,
      won.map((m) => ({ actor, action: "run", targetId: m.integrationId, groupId: integrations.get(m.integrationId)!.groupId, outcome: "ok" as const, detail: claim.auditDetail(m.runId), at: now })),
      transaction,
    );
    const memberRuns = new Binder(db.dialect);
    await db.sequelize.query(
      `UPDATE batch_members SET run_id = ${jsonValueAt(db, memberRuns.value(runIdsJson), "batch_members.integration_id")}, updated_at = ${memberRuns.value(now)}
       WHERE batch_id = ${memberRuns.value(claim.batchId)} AND state = 'in_flight' AND integration_id IN (${memberRuns.list(won.map((m) => m.integrationId))})`,
      { type: QueryTypes.UPDATE, transaction, bind: memberRuns.values },
    );
    const unknownFlows = [...new Set([...integrations.values()].map((i) => i.flowId))].filter((id) => !flowUrls.has(id));
    if (unknownFlows.length) {
      for (const flow of await EmbedFlow.findAll({ where: { id: { [Op.in]: unknownFlows } }, attributes: ["id", "triggerUrl"], raw: true, transaction })) flowUrls.set(flow.id, flow.triggerUrl ?? null);
    }
    const claimed = won.map((m) => {
      const integration = integrations.get(m.integrationId)!;
      return { integrationId: m.integrationId, runId: m.runId, requestedBy, startedAt: now, integration, flowTriggerUrl: flowUrls.get(integration.flowId) ?? null };
    });
    return { aborted: false, claimed, contended };
  });
}

/** Who aborted the batch, read now (the lanes look before sending a run claimed ahead); null when no one did. */
export async function abortedBy(db: Database, batchId: string): Promise<string | null> {
  const [row] = await db.sequelize.query<{ aborted_by: string | null }>("SELECT aborted_by FROM batches WHERE id = $1", { bind: [batchId], type: QueryTypes.SELECT });
  return row?.aborted_by ?? null;
}

/**
 * Withdraws the runs of members claimed ahead of the lanes whose requests were never sent (the batch stopped first),
 * in one transaction: each run is taken back as if never recorded (withdrawRuns: the run deleted with its day in the
 * roll-up, the manual-run claim released, the latest run and the kept health put back), an audit entry says it was
 * withdrawn before its request was sent, and the member goes back to pending (a stop: it is acted on after the
 * restart) or ends as `end` says (an abort). Only members still in flight with that run are touched; one whose run
 * moved on meanwhile takes the run's state, as recovery would. Returns how many runs were withdrawn.
 */
export async function withdrawMemberRuns(
  db: Database,
  withdrawal: {
    batchId: string;
    runs: ReadonlyArray<{ integrationId: string; runId: string }>;
    actor: Actor;
    /** Why, for the audit entry ("aborted by …", "the bot stopped"). */
    reason: string;
    /** Back to pending, or done with this outcome. */
    end: "pending" | { outcome: MemberOutcome; detail: string };
    now: Date;
  },
): Promise<number> {
  const { batchId, runs, actor, now, end } = withdrawal;
  if (runs.length === 0) return 0;
  const { Member } = models(db);
  return db.sequelize.transaction(async (transaction) => {
    const rows = await Member.findAll({
      where: { batchId, state: "in_flight", integrationId: { [Op.in]: runs.map((run) => run.integrationId) } },
      transaction,
      ...(db.dialect === "postgres" ? { lock: true } : {}),
    });
    const held = new Map(rows.map((row) => [row.integrationId, row]));
    const mine = runs.filter((run) => held.get(run.integrationId)?.runId === run.runId);
    const withdrawn = new Set(await withdrawRuns(db, mine.map((run) => run.runId), transaction, now));
    const back = mine.filter((run) => withdrawn.has(run.runId));
    await recordAudits(
      db,
      back.map((run) => ({
        actor,
        action: "run",
        targetId: run.integrationId,
        groupId: held.get(run.integrationId)!.groupId,
        outcome: "noop" as const,
        detail: `${run.runId}: withdrawn before its request was sent (${withdrawal.reason})`,
        at: now,
      })),
      transaction,
    );
    const ids = back.map((run) => run.integrationId);
    if (ids.length) {
      const fields = end === "pending" ? { state: "pending" as const } : { state: "done" as const, outcome: end.outcome, detail: end.detail };
      await Member.update({ ...fields, runId: null, updatedAt: now }, { where: { batchId, state: "in_flight", integrationId: { [Op.in]: ids } }, transaction });
    }
    for (const run of mine.filter((run) => !withdrawn.has(run.runId))) {
      const state = await db.models.FlowRun.findByPk(run.runId, { attributes: ["status", "error"], raw: true, transaction });
      if (state) await finishMember(db, batchId, run.integrationId, { outcome: runOutcome(state.status), runId: run.runId, detail: state.error ?? null }, now, transaction);
    }
    return back.length;
  });
}

/** How the engine answered one member's run request. */
export interface MemberRunAnswer {
  integrationId: string;
  groupId: string;
  runId: string;
  startedAt: Date;
  status: RunStatus;
  error: string | null;
  /** When the answer came. */
  at: Date;
}

/**
 * Stores the engine's answers to several members' run requests in one transaction: the runs (as one manual run's
 * answer is stored), the audit entries, and each member done with its outcome. A member another process resolved
 * meanwhile keeps that resolution; its run still gets the answer.
 */
export async function finishMemberRuns(db: Database, batchId: string, answers: readonly MemberRunAnswer[], actor: Actor, now: Date): Promise<void> {
  if (answers.length === 0) return;
  const { Member } = models(db);
  await db.sequelize.transaction(async (transaction) => {
    await recordRuns(
      db,
      answers.map((a) => ({ id: a.runId, integrationId: a.integrationId, status: a.status, startedAt: a.startedAt, finishedAt: a.status === "running" ? null : a.at, error: a.error })),
      transaction,
      now,
    );
    await recordAudits(
      db,
      answers.map((a) => ({
        actor,
        action: "run",
        targetId: a.integrationId,
        groupId: a.groupId,
        outcome: a.status === "error" ? ("error" as const) : ("ok" as const),
        detail: `${a.runId}: ${a.status === "running" ? "accepted by the flow engine" : a.status}${a.error ? `: ${a.error}` : ""}`,
        at: a.at,
      })),
      transaction,
    );
    // Any answer at all: the runs are the engine's now (or finished), never "interrupted".
    await db.models.FlowRun.update({ engineAnsweredAt: now }, { where: { id: { [Op.in]: answers.map((a) => a.runId) }, engineAnsweredAt: { [Op.is]: null } }, transaction });
    // Members with the same outcome and detail end in one statement.
    const groups = new Map<string, { outcome: MemberOutcome; detail: string | null; ids: string[] }>();
    for (const a of answers) {
      const outcome: MemberOutcome = runOutcome(a.status);
      const key = `${outcome}\n${a.error ?? ""}`;
      const group = groups.get(key) ?? { outcome, detail: a.error, ids: [] };
      group.ids.push(a.integrationId);
      groups.set(key, group);
    }
    for (const group of groups.values()) {
      await Member.update({ state: "done", outcome: group.outcome, detail: group.detail, updatedAt: now }, { where: { batchId, state: "in_flight", integrationId: { [Op.in]: group.ids } }, transaction });
    }
  });
}
