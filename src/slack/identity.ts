import type { WebClient } from "@slack/web-api";
import type { Clock } from "../clock.ts";
import type { Database } from "../data/database.ts";
import { findLinkedOperator, findOperatorByEmail, grantedUsergroups, operatorActor } from "../data/operators.ts";
import type { Actor } from "../domain/permissions.ts";
import { log } from "../log.ts";

/** What embedops asks Slack about people: a user's email, a user group's members. */
export interface SlackDirectory {
  /** The email Slack reports for a user, or undefined when it has none (bots, guests without email). */
  emailOf(slackUserId: string): Promise<string | undefined>;
  /** The user ids in a Slack user group. */
  membersOf(usergroupId: string): Promise<string[]>;
}

/** How long Slack's answers about people are reused. */
export const DIRECTORY_TTL_MS = 5 * 60_000;

class Expiring<V> {
  private entries = new Map<string, { value: V; until: number }>();
  constructor(
    private ttlMs: number,
    private clock: Clock,
  ) {}
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.clock.now().getTime();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = await load();
    this.entries.set(key, { value, until: now + this.ttlMs });
    return value;
  }
}

/** A directory over the Web API (users.info, usergroups.users.list), with answers cached for a few minutes. */
export function webDirectory(client: WebClient, clock: Clock, ttlMs = DIRECTORY_TTL_MS): SlackDirectory {
  const emails = new Expiring<string | undefined>(ttlMs, clock);
  const members = new Expiring<string[]>(ttlMs, clock);
  return {
    emailOf: (slackUserId) =>
      emails.get(slackUserId, async () => {
        const answer = await client.users.info({ user: slackUserId });
        return answer.user?.profile?.email?.toLowerCase();
      }),
    membersOf: (usergroupId) =>
      members.get(usergroupId, async () => {
        try {
          const answer = await client.usergroups.users.list({ usergroup: usergroupId });
          return answer.users ?? [];
        } catch (error) {
          // A deleted or disabled user group grants nothing.
          log.warn({ err: error, usergroupId }, "could not read a user group's members");
          return [];
        }
      }),
  };
}

/**
 * Maps a Slack user to an actor: an explicit link by the immutable user id first, else the email Slack
 * reports for that user; grants given to the user groups they belong to count as theirs.
 */
export async function resolveSlackActor(db: Database, directory: SlackDirectory, slackUserId: string): Promise<Actor> {
  let operator = await findLinkedOperator(db, slackUserId);
  let email: string | undefined;
  if (!operator) {
    try {
      email = await directory.emailOf(slackUserId);
    } catch (error) {
      log.warn({ err: error, slackUserId }, "could not read a Slack user's email");
    }
    if (email) operator = await findOperatorByEmail(db, email);
  }
  if (!operator) return { kind: "unmapped", slackUserId, ...(email ? { email } : {}) };
  const usergroupIds: string[] = [];
  for (const usergroupId of await grantedUsergroups(db)) {
    if ((await directory.membersOf(usergroupId)).includes(slackUserId)) usergroupIds.push(usergroupId);
  }
  return operatorActor(db, operator, { slackUserId, usergroupIds });
}
