import { Op } from "sequelize";
import type { Actor, EffectiveGrant } from "../domain/permissions.ts";
import type { Database } from "./database.ts";
import type { Operator } from "./models/index.ts";

/** Finds an operator by email (case-insensitive). */
export async function findOperatorByEmail(db: Database, email: string): Promise<Operator | null> {
  return db.models.Operator.findOne({ where: { email: email.trim().toLowerCase() } });
}

/** Finds the operator an explicit Slack link points to. */
export async function findLinkedOperator(db: Database, slackUserId: string): Promise<Operator | null> {
  const link = await db.models.SlackLink.findByPk(slackUserId);
  return link ? db.models.Operator.findByPk(link.operatorId) : null;
}

/** Every Slack user group that holds a grant: the only ones whose membership matters. */
export async function grantedUsergroups(db: Database): Promise<string[]> {
  const rows = await db.models.Grant.findAll({
    where: { slackUsergroupId: { [Op.ne]: null } },
    attributes: ["slackUsergroupId"],
    group: ["slack_usergroup_id"],
  });
  return rows.map((row) => row.slackUsergroupId!).filter(Boolean);
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
  const effective: EffectiveGrant[] = grants.map((grant) => ({
    permission: grant.permission,
    groupId: grant.groupId,
    ...(grant.slackUsergroupId ? { viaUsergroup: grant.slackUsergroupId } : {}),
  }));
  return {
    kind: "operator",
    operatorId: operator.id,
    email: operator.email,
    name: operator.name,
    role: operator.role,
    grants: effective,
    ...(options.slackUserId ? { slackUserId: options.slackUserId } : {}),
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
