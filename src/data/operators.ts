import { literal, Op, QueryTypes } from "sequelize";
import type { Actor } from "../domain/permissions.ts";
import { bound, equals } from "./bound.ts";
import type { Database } from "./database.ts";
import type { Grant } from "./models/index.ts";
import type { GroupRecord, OperatorRecord } from "./records.ts";

/** Finds an operator by email (case-insensitive). */
export async function findOperatorByEmail(db: Database, email: string): Promise<OperatorRecord | null> {
  const model = db.models.Operator;
  const operator = await model.findOne(bound(db, equals(model, "email", email.trim().toLowerCase())));
  return operator ? operator.get({ plain: true }) : null;
}

/** Finds the operator an explicit Slack link points to, in one statement. */
export async function findLinkedOperator(db: Database, slackUserId: string): Promise<OperatorRecord | null> {
  const operator = await db.models.Operator.findOne({
    where: { id: { [Op.in]: literal("(SELECT operator_id FROM slack_links WHERE slack_user_id = $slackUserId)") } },
    // A bound parameter, never text in the statement.
    bind: { slackUserId },
  });
  return operator ? operator.get({ plain: true }) : null;
}

/** The Slack user groups that hold a grant: every Slack request asks who is in them. */
export async function usergroupsWithGrants(db: Database): Promise<string[]> {
  const rows = await db.models.Grant.findAll({ where: { slackUsergroupId: { [Op.ne]: null } }, attributes: ["slackUsergroupId"], group: ["slackUsergroupId"], raw: true });
  return rows.flatMap((row) => (row.slackUsergroupId ? [row.slackUsergroupId] : []));
}

/** The actor of an operator: their role and the grants in force, their own and their user groups'. */
export async function operatorActor(db: Database, operator: OperatorRecord, options: { slackUserId?: string; usergroupIds?: string[] } = {}): Promise<Actor> {
  const usergroupIds = options.usergroupIds ?? [];
  const grants = await db.models.Grant.findAll({
    where: {
      [Op.or]: [{ operatorId: operator.id }, ...(usergroupIds.length ? [{ slackUsergroupId: { [Op.in]: usergroupIds } }] : [])],
    },
    order: [["id", "ASC"]],
  });
  return actorOf(operator, grants, options.slackUserId);
}

/**
 * The actor of an operator asking from Slack, in one statement: their own grants and every user-group grant,
 * of which only the groups the Slack user belongs to count (membership comes from the directory's cache).
 */
export async function slackOperatorActor(db: Database, operator: OperatorRecord, slackUserId: string, isMember: (usergroupId: string) => Promise<boolean>): Promise<Actor> {
  const grants = await db.models.Grant.findAll({
    where: { [Op.or]: [{ operatorId: operator.id }, { slackUsergroupId: { [Op.ne]: null } }] },
    order: [["id", "ASC"]],
    raw: true,
  });
  return actorInForce(operator, grants, slackUserId, isMember);
}

/** A grant as the actor's grants in force are chosen from. */
type CandidateGrant = Pick<Grant, "operatorId" | "slackUsergroupId" | "permission" | "groupId">;

/**
 * The actor of the operator an explicit Slack link points to, in one statement: the link, the operator, their
 * own grants and every user-group grant, of which only the groups the Slack user belongs to count (as
 * slackOperatorActor chooses them). Null when no operator is linked to that Slack user.
 */
export async function linkedSlackActor(db: Database, slackUserId: string, isMember: (usergroupId: string) => Promise<boolean>): Promise<Actor | null> {
  const rows = await db.sequelize.query<Record<string, unknown>>(
    `SELECT o.id, o.email, o.name, o.role, g.id AS grant_id, g.operator_id AS grant_operator_id, g.slack_usergroup_id, g.permission, g.group_id
     FROM slack_links l JOIN operators o ON o.id = l.operator_id
     LEFT JOIN grants g ON g.operator_id = o.id OR g.slack_usergroup_id IS NOT NULL
     WHERE l.slack_user_id = $1 ORDER BY g.id`,
    // A bound parameter, never text in the statement.
    { bind: [slackUserId], type: QueryTypes.SELECT },
  );
  const first = rows[0];
  if (!first) return null;
  const operator = { id: Number(first.id), email: String(first.email), name: (first.name as string | null) ?? null, role: first.role as OperatorRecord["role"] };
  const grants: CandidateGrant[] = rows
    .filter((row) => row.grant_id !== null && row.grant_id !== undefined)
    .map((row) => ({
      operatorId: row.grant_operator_id === null ? null : Number(row.grant_operator_id),
      slackUsergroupId: (row.slack_usergroup_id as string | null) ?? null,
      permission: row.permission as Grant["permission"],
      groupId: (row.group_id as string | null) ?? null,
    }));
  return actorInForce(operator, grants, slackUserId, isMember);
}

/** The operator's actor with the grants in force: their own, and those of the user groups the Slack user is in. */
async function actorInForce(
  operator: Pick<OperatorRecord, "id" | "email" | "name" | "role">,
  grants: CandidateGrant[],
  slackUserId: string,
  isMember: (usergroupId: string) => Promise<boolean>,
): Promise<Actor> {
  const memberOf = new Map<string, boolean>();
  for (const usergroupId of new Set(grants.flatMap((grant) => (grant.slackUsergroupId ? [grant.slackUsergroupId] : [])))) {
    memberOf.set(usergroupId, await isMember(usergroupId));
  }
  const inForce = grants.filter((grant) => grant.operatorId === operator.id || (grant.slackUsergroupId !== null && memberOf.get(grant.slackUsergroupId)));
  return actorOf(operator, inForce, slackUserId);
}

function actorOf(operator: Pick<OperatorRecord, "id" | "email" | "name" | "role">, grants: Array<Pick<Grant, "permission" | "groupId" | "slackUsergroupId">>, slackUserId?: string): Actor {
  return {
    kind: "operator",
    operatorId: operator.id,
    email: operator.email,
    name: operator.name,
    role: operator.role,
    grants: grants.map((grant) => ({
      permission: grant.permission,
      groupId: grant.groupId,
      ...(grant.slackUsergroupId ? { viaUsergroup: grant.slackUsergroupId } : {}),
    })),
    ...(slackUserId ? { slackUserId } : {}),
  };
}

/** Makes the operators of ADMIN_EMAILS admins, creating them when new. */
export async function ensureAdmins(db: Database, emails: string[]): Promise<void> {
  for (const email of emails) {
    const existing = await findOperatorByEmail(db, email);
    if (!existing) await db.models.Operator.create({ email, name: null, role: "admin" });
    else if (existing.role !== "admin") await db.models.Operator.update({ role: "admin" }, { where: { id: existing.id } });
  }
}

/** The first admin by email, for the console's default actor. */
export async function firstAdmin(db: Database): Promise<OperatorRecord | null> {
  return (await adminEmailsAndIds(db, 1))[0] ?? null;
}

/** How many admins an answer names as the people to ask. */
const NAMED_ADMINS = 3;

/** The emails of the first admins by email: the people an answer names to ask for access. */
export async function namedAdmins(db: Database): Promise<string[]> {
  return (await adminEmailsAndIds(db, NAMED_ADMINS)).map((admin) => admin.email);
}

async function adminEmailsAndIds(db: Database, limit: number): Promise<OperatorRecord[]> {
  const admins = await db.models.Operator.findAll({ where: { role: "admin" }, order: [["email", "ASC"]], limit });
  return admins.map((admin) => admin.get({ plain: true }));
}

/** The operator a Slack user is explicitly linked to, if any. */
export async function linkedOperatorId(db: Database, slackUserId: string): Promise<number | null> {
  const link = await db.models.SlackLink.findByPk(slackUserId);
  return link ? link.operatorId : null;
}

/** Groups (and partners) by id; ids that name no group are left out. */
export async function groupsByIds(db: Database, ids: string[]): Promise<GroupRecord[]> {
  if (ids.length === 0) return [];
  const groups = await db.models.Group.findAll({ where: { id: { [Op.in]: [...new Set(ids)] } } });
  return groups.map((group) => group.get({ plain: true }));
}
