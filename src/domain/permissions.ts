/** What a grant gives on a group: `manage` includes `run`, `run` includes `view`. */
export type Permission = "view" | "run" | "manage";

/** What a command needs: a permission on the target's group, admin, or nothing beyond a mapped operator. */
export type Need = Permission | "admin" | "operator" | "anyone";

/** Every permission, weakest first. */
export const PERMISSIONS: readonly Permission[] = ["view", "run", "manage"];

/** Every need a command may declare. */
export const NEEDS: readonly Need[] = ["anyone", "operator", "view", "run", "manage", "admin"];

/** True when the text names a permission (`view`, `run`, `manage`). */
export function isPermission(text: string): text is Permission {
  return (PERMISSIONS as readonly string[]).includes(text);
}

/** The permission just below one (what is left when it is revoked), or null below `view`. */
export function permissionBelow(permission: Permission): Permission | null {
  return permission === "manage" ? "run" : permission === "run" ? "view" : null;
}

const RANK: Record<Permission, number> = { view: 1, run: 2, manage: 3 };

/** The words the platform uses for each permission. */
export const PERMISSION_LABEL: Record<Permission, string> = { view: "Can view", run: "Can run", manage: "Can manage" };

/** True when a grant of `held` covers `needed`. */
export function includes(held: Permission, needed: Permission): boolean {
  return RANK[held] >= RANK[needed];
}

/** A grant in force for an actor, and where it came from. */
export interface EffectiveGrant {
  permission: Permission;
  /** null: every group and partner. */
  groupId: string | null;
  /** The Slack user group that gave it, when it did not come to the operator directly. */
  viaUsergroup?: string;
}

/**
 * Who is asking: a mapped operator, a Slack user who maps to no operator, a job acting on its own, or an end
 * user of the embed API (who may activate and deactivate their own integrations, and nothing else).
 */
export type Actor =
  | {
      kind: "operator";
      operatorId: number;
      email: string;
      name: string | null;
      role: "admin" | "member";
      grants: EffectiveGrant[];
      slackUserId?: string;
    }
  | { kind: "unmapped"; slackUserId: string; email?: string }
  | { kind: "job"; job: string }
  | { kind: "end_user"; configurationId: string; userId: string; accountId: string };

/** The groups an actor may act on with one permission: all of them, or a list (possibly empty). */
export type GroupScope = { all: true } | { all: false; groupIds: string[] };

/** True when the actor holds `permission` on `groupId`. */
export function can(actor: Actor, permission: Permission, groupId: string): boolean {
  if (actor.kind === "job") return true;
  if (actor.kind !== "operator") return false;
  if (actor.role === "admin") return true;
  return actor.grants.some((grant) => includes(grant.permission, permission) && (grant.groupId === null || grant.groupId === groupId));
}

/** True for admins (and jobs, which act for the platform). */
export function isAdmin(actor: Actor): boolean {
  return actor.kind === "job" || (actor.kind === "operator" && actor.role === "admin");
}

/** The groups on which the actor holds `permission`: what list queries filter on. */
export function scopeFor(actor: Actor, permission: Permission): GroupScope {
  if (isAdmin(actor)) return { all: true };
  if (actor.kind !== "operator") return { all: false, groupIds: [] };
  const groupIds = new Set<string>();
  for (const grant of actor.grants) {
    if (!includes(grant.permission, permission)) continue;
    if (grant.groupId === null) return { all: true };
    groupIds.add(grant.groupId);
  }
  return { all: false, groupIds: [...groupIds].sort() };
}

/** True when the scope covers nothing at all. */
export function isEmptyScope(scope: GroupScope): boolean {
  return !scope.all && scope.groupIds.length === 0;
}

/** True when the group is inside the scope. */
export function inScope(scope: GroupScope, groupId: string): boolean {
  return scope.all || scope.groupIds.includes(groupId);
}

/** The verdict on one request: allowed, or denied with what is missing. */
export type Decision =
  | { allowed: true }
  | { allowed: false; reason: "unmapped" | "not_admin" | "missing_permission" | "channel_not_allowed"; permission?: Permission; groupId?: string };

/** The whole policy for one request: the command's need, the target's group (if any), the channel rule. */
export function decide(
  actor: Actor,
  need: Need,
  options: { groupId?: string; changes?: boolean; channelId?: string; allowedChannels?: string[] } = {},
): Decision {
  if (need === "anyone") return { allowed: true };
  if (actor.kind === "unmapped" || actor.kind === "end_user") return { allowed: false, reason: "unmapped" };
  if (options.changes && options.allowedChannels && actor.kind !== "job") {
    // The console and the CLI have no channel; the rule is about Slack channels.
    if (options.channelId !== undefined && !options.allowedChannels.includes(options.channelId)) {
      return { allowed: false, reason: "channel_not_allowed" };
    }
  }
  if (need === "operator") return { allowed: true };
  if (need === "admin") return isAdmin(actor) ? { allowed: true } : { allowed: false, reason: "not_admin" };
  if (options.groupId !== undefined) {
    return can(actor, need, options.groupId)
      ? { allowed: true }
      : { allowed: false, reason: "missing_permission", permission: need, groupId: options.groupId };
  }
  // A request over many groups needs the permission on at least one of them.
  return isEmptyScope(scopeFor(actor, need)) ? { allowed: false, reason: "missing_permission", permission: need } : { allowed: true };
}

/** How the audit log and messages name an actor. */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case "operator":
      return actor.email;
    case "unmapped":
      return `slack:${actor.slackUserId}`;
    case "job":
      return `job:${actor.job}`;
    case "end_user":
      // The label the audit log has always given end users' changes.
      return `job:embed:${actor.userId}`;
  }
}

/**
 * True when an end user may activate again or deactivate this integration: it is of their configuration and
 * theirs (their account's, at sharing level `account`). Operators and jobs act through permissions instead.
 */
export function ownsIntegration(
  actor: Actor,
  integration: { configurationId: string; sharingLevel: "user" | "account"; embedUserId: string; embedAccountId: string },
): boolean {
  if (actor.kind !== "end_user" || actor.configurationId !== integration.configurationId) return false;
  return integration.sharingLevel === "account" ? integration.embedAccountId === actor.accountId : integration.embedUserId === actor.userId;
}
