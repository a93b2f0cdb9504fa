import type { Transaction } from "sequelize";
import { actorLabel, includes, isPermission, permissionBelow, PERMISSION_LABEL, type Actor, type Permission } from "../domain/permissions.ts";
import { badInput } from "../errors.ts";
import { recordAudit } from "./audit.ts";
import { bound, equals } from "./bound.ts";
import type { Database } from "./database.ts";
import type { Group, Operator } from "./models/index.ts";

/** What `grant` and `revoke` give or take: a permission on groups, or the admin role. */
export type GrantablePermission = Permission | "admin";

/** Who a grant is for: an operator (by email) or a Slack user group (by id). */
export type GrantSubject = { kind: "operator"; email: string } | { kind: "usergroup"; usergroupId: string };

/** Where a grant applies: one group or partner, or all of them. */
export type GrantScope = { all: true } | { all: false; groupId: string };

/** What grant, revoke and link did: whether anything changed, and one sentence saying what. */
export interface AccessChange {
  changed: boolean;
  message: string;
}

/** A Slack user group id as Slack writes it. */
const USERGROUP_ID = /^S[A-Z0-9]{2,}$/;

/** Parses PERMISSION: `view`, `run`, `manage` or `admin`. */
export function parseGrantablePermission(text: string): GrantablePermission {
  const value = text.trim().toLowerCase();
  if (value === "admin" || isPermission(value)) return value;
  throw badInput(`\`${text}\` is not a permission: use view, run, manage or admin.`);
}

/** Parses SCOPE: `group:ID` (a group or partner) or `all`. */
export function parseGrantScope(text: string): GrantScope {
  const value = text.trim();
  if (value.toLowerCase() === "all") return { all: true };
  const match = /^(?:group|partner):(.+)$/i.exec(value);
  if (match?.[1]?.trim()) return { all: false, groupId: match[1].trim() };
  throw badInput(`\`${value}\` is not a scope: use \`group:ID\` or \`all\`.`);
}

/** Parses SUBJECT as the CLI takes it: an operator email or a Slack user group id (`S…`). */
export function parseGrantSubject(text: string): GrantSubject {
  const value = text.trim();
  if (USERGROUP_ID.test(value)) return { kind: "usergroup", usergroupId: value };
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return { kind: "operator", email: value.toLowerCase() };
  throw badInput(`\`${value}\` is neither an operator email nor a Slack user group id (\`S…\`).`);
}

/** How answers and the audit log name a subject. */
function subjectLabel(subject: GrantSubject): string {
  return subject.kind === "operator" ? subject.email : subject.usergroupId;
}

function scopeLabel(scope: GrantScope, group?: Group | null): string {
  if (scope.all) return "all groups and partners";
  return group ? `${group.kind} ${group.name} (${group.id})` : scope.groupId;
}

/** The request to grant or revoke, as both Slack and the CLI make it. */
export interface AccessRequest {
  subject: GrantSubject;
  permission: GrantablePermission;
  scope: GrantScope;
  actor: Actor;
  at: Date;
}

interface Resolved {
  operator?: Operator;
  group?: Group | null;
  subjectKey: string;
  scopeKey: string;
}

/** Checks the request against the database: the operator and the group must exist; admin is on all, for operators. */
async function resolve(db: Database, request: AccessRequest, transaction: Transaction): Promise<Resolved> {
  const { subject, permission, scope } = request;
  if (permission === "admin") {
    if (subject.kind !== "operator") throw badInput("`admin` is a role of an operator; a Slack user group cannot be made admin. Grant it `manage` on `all` instead.");
    if (!scope.all) throw badInput("`admin` covers every group and partner: give it with the scope `all`.");
  }
  let operator: Operator | undefined;
  if (subject.kind === "operator") {
    operator = (await db.models.Operator.findOne({ ...bound(db, equals(db.models.Operator, "email", subject.email)), transaction })) ?? undefined;
    if (!operator) {
      throw badInput(`No operator has the email ${subject.email}. Operators come from ADMIN_EMAILS, the import, or \`link @user EMAIL\`.`);
    }
  }
  let group: Group | null = null;
  if (!scope.all) {
    group = await db.models.Group.findOne({ ...bound(db, equals(db.models.Group, "id", scope.groupId)), transaction });
    if (!group) throw badInput(`No group or partner has the id \`${scope.groupId}\`.`);
  }
  return {
    operator,
    group,
    subjectKey: operator ? `op:${operator.id}` : `ug:${(subject as { usergroupId: string }).usergroupId}`,
    scopeKey: scope.all ? "*" : scope.groupId,
  };
}

function audit(db: Database, request: AccessRequest, action: string, outcome: "ok" | "noop", detail: string, transaction: Transaction) {
  return recordAudit(
    db,
    {
      actor: request.actor,
      action,
      targetId: subjectLabel(request.subject),
      groupId: request.scope.all ? null : request.scope.groupId,
      outcome,
      detail,
      at: request.at,
    },
    transaction,
  );
}

/**
 * Grants a permission on a scope (or the admin role), audited in the same transaction. A subject has one
 * grant per scope: granting again replaces its permission; granting what is already held changes nothing.
 */
export async function grantAccess(db: Database, request: AccessRequest): Promise<AccessChange> {
  return db.sequelize.transaction(async (transaction) => {
    const resolved = await resolve(db, request, transaction);
    const who = subjectLabel(request.subject);
    const where = scopeLabel(request.scope, resolved.group);
    const createdBy = actorLabel(request.actor);
    if (request.permission === "admin") {
      const operator = resolved.operator!;
      if (operator.role === "admin") {
        await audit(db, request, "grant", "noop", "admin: already admin", transaction);
        return { changed: false, message: `${who} is already an admin; nothing changed.` };
      }
      await operator.update({ role: "admin" }, { transaction });
      await audit(db, request, "grant", "ok", "admin", transaction);
      return { changed: true, message: `${who} is now an admin: every permission on every group and partner.` };
    }
    const permission = request.permission;
    const existing = await db.models.Grant.findOne({ where: { subjectKey: resolved.subjectKey, scopeKey: resolved.scopeKey }, transaction });
    if (existing?.permission === permission) {
      await audit(db, request, "grant", "noop", `${permission}: already held`, transaction);
      return { changed: false, message: `${who} already has ${PERMISSION_LABEL[permission]} on ${where}; nothing changed.` };
    }
    if (existing) {
      const before = existing.permission;
      await existing.update({ permission, createdBy }, { transaction });
      await audit(db, request, "grant", "ok", `${permission} (was ${before})`, transaction);
      return { changed: true, message: `${who} now has ${PERMISSION_LABEL[permission]} on ${where} (was ${PERMISSION_LABEL[before]}).` };
    }
    await db.models.Grant.create(
      {
        operatorId: resolved.operator?.id ?? null,
        slackUsergroupId: request.subject.kind === "usergroup" ? request.subject.usergroupId : null,
        permission,
        groupId: request.scope.all ? null : request.scope.groupId,
        subjectKey: resolved.subjectKey,
        scopeKey: resolved.scopeKey,
        createdBy,
      },
      { transaction },
    );
    await audit(db, request, "grant", "ok", permission, transaction);
    return { changed: true, message: `${who} now has ${PERMISSION_LABEL[permission]} on ${where}.` };
  });
}

/**
 * Revokes a permission on a scope (or the admin role), audited in the same transaction. Revoking a permission
 * leaves the one below it (revoking `run` from `manage` leaves `view`); revoking what was never granted changes nothing.
 */
export async function revokeAccess(db: Database, request: AccessRequest): Promise<AccessChange> {
  return db.sequelize.transaction(async (transaction) => {
    const resolved = await resolve(db, request, transaction);
    const who = subjectLabel(request.subject);
    const where = scopeLabel(request.scope, resolved.group);
    if (request.permission === "admin") {
      const operator = resolved.operator!;
      if (operator.role !== "admin") {
        await audit(db, request, "revoke", "noop", "admin: not an admin", transaction);
        return { changed: false, message: `${who} is not an admin; nothing changed.` };
      }
      const admins = await db.models.Operator.count({ where: { role: "admin" }, transaction });
      if (admins <= 1) throw badInput(`${who} is the last admin; make another operator admin first.`);
      await operator.update({ role: "member" }, { transaction });
      await audit(db, request, "revoke", "ok", "admin", transaction);
      return { changed: true, message: `${who} is now a member: only their grants count.` };
    }
    const permission = request.permission;
    const existing = await db.models.Grant.findOne({ where: { subjectKey: resolved.subjectKey, scopeKey: resolved.scopeKey }, transaction });
    if (!existing || !includes(existing.permission, permission)) {
      await audit(db, request, "revoke", "noop", `${permission}: not granted`, transaction);
      const held = existing ? ` (it has ${PERMISSION_LABEL[existing.permission]} there)` : "";
      const wider = request.scope.all ? "" : await widerGrantNote(db, resolved.subjectKey, permission, transaction);
      return { changed: false, message: `${who} was never granted ${PERMISSION_LABEL[permission]} on ${where}${held}; nothing changed.${wider}` };
    }
    const before = existing.permission;
    const left = permissionBelow(permission);
    if (left) await existing.update({ permission: left, createdBy: actorLabel(request.actor) }, { transaction });
    else await existing.destroy({ transaction });
    await audit(db, request, "revoke", "ok", `${permission} (was ${before}${left ? `, now ${left}` : ""})`, transaction);
    return {
      changed: true,
      message: left
        ? `${who} no longer has ${PERMISSION_LABEL[permission]} on ${where}; ${PERMISSION_LABEL[left]} is left.`
        : `${who} no longer has any permission on ${where} from this grant.`,
    };
  });
}

/** Says so when a grant on all groups still covers the group a revoke named. */
async function widerGrantNote(db: Database, subjectKey: string, permission: Permission, transaction: Transaction): Promise<string> {
  const wide = await db.models.Grant.findOne({ where: { subjectKey, scopeKey: "*" }, transaction });
  if (!wide || !includes(wide.permission, permission)) return "";
  return ` It still has ${PERMISSION_LABEL[wide.permission]} on all groups and partners, which covers this one: revoke that with the scope \`all\`.`;
}

/**
 * Links a Slack user (by immutable id) to the operator with this email, audited in the same transaction.
 * A new email creates the operator as a member without grants, so that `link` is how someone gets started.
 */
export async function linkSlackUser(db: Database, request: { slackUserId: string; email: string; actor: Actor; at: Date }): Promise<AccessChange & { created: boolean }> {
  const email = request.email.trim().toLowerCase();
  return db.sequelize.transaction(async (transaction) => {
    const entry = (outcome: "ok" | "noop", detail: string) =>
      recordAudit(db, { actor: request.actor, action: "link", targetId: email, groupId: null, outcome, detail, at: request.at }, transaction);
    let operator = await db.models.Operator.findOne({ ...bound(db, equals(db.models.Operator, "email", email)), transaction });
    let created = false;
    if (!operator) {
      operator = await db.models.Operator.create({ email, name: null, role: "member" }, { transaction });
      created = true;
    }
    const existing = await db.models.SlackLink.findByPk(request.slackUserId, { transaction });
    if (existing?.operatorId === operator.id) {
      await entry("noop", `slack ${request.slackUserId}: already linked`);
      return { changed: false, created, message: `<@${request.slackUserId}> is already linked to ${email}; nothing changed.` };
    }
    let previous = "";
    if (existing) {
      const before = await db.models.Operator.findByPk(existing.operatorId, { transaction });
      previous = before ? before.email : `operator ${existing.operatorId}`;
      await existing.update({ operatorId: operator.id, createdBy: actorLabel(request.actor) }, { transaction });
    } else {
      await db.models.SlackLink.create({ slackUserId: request.slackUserId, operatorId: operator.id, createdBy: actorLabel(request.actor) }, { transaction });
    }
    await entry("ok", `slack ${request.slackUserId}${previous ? ` (was ${previous})` : ""}${created ? ", new operator" : ""}`);
    const parts = [`<@${request.slackUserId}> is now linked to ${email}${previous ? ` (was ${previous})` : ""}.`];
    if (created) parts.push(`${email} is a new operator: a member with no grants yet.`);
    return { changed: true, created, message: parts.join(" ") };
  });
}
