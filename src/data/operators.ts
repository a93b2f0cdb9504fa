import { literal, Op } from "sequelize";
import type { Actor } from "../domain/permissions.ts";
import type { Database } from "./database.ts";
import type { Grant, Operator } from "./models/index.ts";

/** Finds an operator by email (case-insensitive). */
export async function findOperatorByEmail(db: Database, email: string): Promise<Operator | null> {
  return db.models.Operator.findOne({ where: { email: email.trim().toLowerCase() } });
}

/** Finds the operator an explicit Slack link points to, in one statement. */
export async function findLinkedOperator(db: Database, slackUserId: string): Promise<Operator | null> {
  return db.models.Operator.findOne({
    where: { id: { [Op.in]: literal("(SELECT operator_id FROM slack_links WHERE slack_user_id = $slackUserId)") } },
    // A bound parameter, never text in the statement.
    bind: { slackUserId },
  });
}

/** The actor of an operator: their role and the grants in force, their own and their user groups'. */
export async function operatorActor(db: Database, operator: Operator, options: { slackUserId?: string; usergroupIds?: string[] } = {}): Promise<Actor> {
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
export async function slackOperatorActor(db: Database, operator: Operator, slackUserId: string, isMember: (usergroupId: string) => Promise<boolean>): Promise<Actor> {
  const grants = await db.models.Grant.findAll({
    where: { [Op.or]: [{ operatorId: operator.id }, { slackUsergroupId: { [Op.ne]: null } }] },
    order: [["id", "ASC"]],
    raw: true,
  });
  const memberOf = new Map<string, boolean>();
  for (const usergroupId of new Set(grants.flatMap((grant) => (grant.slackUsergroupId ? [grant.slackUsergroupId] : [])))) {
    memberOf.set(usergroupId, await isMember(usergroupId));
  }
  const inForce = grants.filter((grant) => grant.operatorId === operator.id || (grant.slackUsergroupId !== null && memberOf.get(grant.slackUsergroupId)));
  return actorOf(operator, inForce, slackUserId);
}

function actorOf(operator: Operator, grants: Array<Pick<Grant, "permission" | "groupId" | "slackUsergroupId">>, slackUserId?: string): Actor {
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
    else if (existing.role !== "admin") await existing.update({ role: "admin" });
  }
}

/** The first admin by email, for the console's default actor. */
export async function firstAdmin(db: Database): Promise<Operator | null> {
  return db.models.Operator.findOne({ where: { role: "admin" }, order: [["email", "ASC"]] });
}
