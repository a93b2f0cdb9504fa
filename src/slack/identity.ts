import type { WebClient } from "@slack/web-api";
import type { Clock } from "../clock.ts";
import type { Database } from "../data/database.ts";
import type { GrantSubject } from "../data/grants.ts";
import { badInput } from "../errors.ts";
import type { OperatorRecord } from "../data/records.ts";
import { findLinkedOperator, findOperatorByEmail, linkedSlackActor, slackOperatorActor, usergroupsWithGrants } from "../data/operators.ts";
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

/** Answers kept for ttlMs; concurrent asks for one key share one load; a failed load is not kept. */
class Expiring<V> {
  private entries = new Map<string, { value: V; until: number }>();
  private loading = new Map<string, Promise<V>>();
  constructor(
    private ttlMs: number,
    private clock: Clock,
  ) {}
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.clock.now().getTime();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const promise = load().then(
      (value) => {
        this.entries.set(key, { value, until: this.clock.now().getTime() + this.ttlMs });
        return value;
      },
    );
    this.loading.set(key, promise);
    try {
      return await promise;
    } finally {
      this.loading.delete(key);
    }
  }
}

/** Web API errors that are Slack's definite answer "this user has no email for you", worth caching. */
const NO_SUCH_USER = new Set(["user_not_found", "user_not_visible", "account_inactive"]);

function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === "string" ? data.error : undefined;
}

/** A directory over the Web API (users.info, usergroups.users.list), with answers cached for a few minutes. */
export function webDirectory(client: WebClient, clock: Clock, ttlMs = DIRECTORY_TTL_MS): SlackDirectory {
  const emails = new Expiring<string | undefined>(ttlMs, clock);
  const members = new Expiring<string[]>(ttlMs, clock);
  return {
    emailOf: (slackUserId) =>
      emails.get(slackUserId, async () => {
        try {
          const answer = await client.users.info({ user: slackUserId });
          // A deactivated Slack account keeps its profile; it must not keep its access.
          if (answer.user?.deleted) return undefined;
          return answer.user?.profile?.email?.trim().toLowerCase() || undefined;
        } catch (error) {
          if (NO_SUCH_USER.has(slackErrorCode(error) ?? "")) return undefined;
          throw error;
        }
      }),
    async membersOf(usergroupId) {
      try {
        return await members.get(usergroupId, async () => {
          const answer = await client.usergroups.users.list({ usergroup: usergroupId });
          return answer.users ?? [];
        });
      } catch (error) {
        // This request gets nothing from the user group (fail closed); the next one asks Slack again.
        log.warn({ err: error, usergroupId }, "could not read a user group's members");
        return [];
      }
    },
  };
}

/**
 * Warms the database side of the path every Slack request takes to its actor before the first request does: the
 * link, email and user-group grant lookups run once. User groups' members are not read ahead: the directory keeps
 * what it reads for minutes, and a membership changed while the bot starts must count from the first request.
 */
export async function warmIdentity(db: Database): Promise<void> {
  await Promise.all([linkedSlackActor(db, "U0WARMUP", async () => false), findOperatorByEmail(db, "warm-up@embedops.invalid"), usergroupsWithGrants(db)]);
}

/** A user mention as Slack escapes it in command text: `<@U123ABC|name>` or `<@U123ABC>`; also a bare `U…`/`W…` id. */
export function parseUserMention(text: string): string | undefined {
  const match = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(text.trim()) ?? /^([UW][A-Z0-9]{2,})$/.exec(text.trim());
  return match?.[1];
}

/** A user group mention as Slack escapes it: `<!subteam^S123|@oncall>`; also a bare `S…` id. */
function parseUsergroupMention(text: string): string | undefined {
  const match = /^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$/.exec(text.trim()) ?? /^(S[A-Z0-9]{2,})$/.exec(text.trim());
  return match?.[1];
}

/** An email as typed, or as Slack escapes it (`<mailto:a@b.com|a@b.com>`), lower-cased; undefined when it is none. */
export function parseEmail(text: string): string | undefined {
  const trimmed = text.trim();
  const unwrapped = /^<mailto:([^|>]+)(?:\|[^>]*)?>$/i.exec(trimmed)?.[1] ?? trimmed;
  const email = unwrapped.toLowerCase();
  return /^[^\s@<>|]+@[^\s@<>|]+\.[^\s@<>|]+$/.test(email) ? email : undefined;
}

/** How a Slack user maps to an operator: by explicit link, by the email Slack reports, or not at all. */
type SlackMapping = { via: "link"; operator: OperatorRecord } | { via: "email"; operator: OperatorRecord; email: string } | { via: "none"; email?: string };

/** Finds the operator a Slack user maps to: the explicit link by user id first, else Slack's email for them. */
async function mapSlackUser(db: Database, directory: SlackDirectory | undefined, slackUserId: string): Promise<SlackMapping> {
  const linked = await findLinkedOperator(db, slackUserId);
  if (linked) return { via: "link", operator: linked };
  return mapByEmail(db, directory, slackUserId);
}

/** Finds the operator whose email Slack reports for the user (no explicit link was found). */
async function mapByEmail(db: Database, directory: SlackDirectory | undefined, slackUserId: string): Promise<Exclude<SlackMapping, { via: "link" }>> {
  let email: string | undefined;
  try {
    email = await directory?.emailOf(slackUserId);
  } catch (error) {
    log.warn({ err: error, slackUserId }, "could not read a Slack user's email");
  }
  const operator = email ? await findOperatorByEmail(db, email) : null;
  if (operator && email) return { via: "email", operator, email };
  return { via: "none", ...(email ? { email } : {}) };
}

/**
 * Maps a Slack user to an actor: an explicit link by the immutable user id first, else the email Slack
 * reports for that user; grants given to the user groups they belong to count as theirs.
 */
export async function resolveSlackActor(db: Database, directory: SlackDirectory, slackUserId: string): Promise<Actor> {
  const isMember = async (usergroupId: string) => (await directory.membersOf(usergroupId)).includes(slackUserId);
  // A linked user (the usual case): the link, the operator and the grants in one statement.
  const linked = await linkedSlackActor(db, slackUserId, isMember);
  if (linked) return linked;
  const mapping = await mapByEmail(db, directory, slackUserId);
  if (mapping.via === "none") return { kind: "unmapped", slackUserId, ...(mapping.email ? { email: mapping.email } : {}) };
  return slackOperatorActor(db, mapping.operator, slackUserId, isMember);
}

/**
 * Reads a grant's SUBJECT as typed in Slack: an email, a user mention (the operator it maps to, by link or
 * by Slack's email), a user group mention or a bare `S…` id.
 */
export async function resolveGrantSubject(db: Database, directory: SlackDirectory | undefined, text: string): Promise<GrantSubject> {
  const usergroupId = parseUsergroupMention(text);
  if (usergroupId) return { kind: "usergroup", usergroupId };
  const email = parseEmail(text);
  if (email) return { kind: "operator", email };
  const slackUserId = parseUserMention(text);
  if (slackUserId) {
    const mapping = await mapSlackUser(db, directory, slackUserId);
    if (mapping.via !== "none") return { kind: "operator", email: mapping.operator.email };
    throw badInput(
      `<@${slackUserId}> is not linked to an operator${mapping.email ? ` (Slack reports ${mapping.email}, which no operator has)` : ""}: run \`link <@${slackUserId}> EMAIL\` first.`,
    );
  }
  throw badInput(`\`${text}\` is not an operator email, a @user, a @usergroup or a user group id (\`S…\`).`);
}
