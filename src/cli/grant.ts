import { userInfo } from "node:os";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../data/database.ts";
import { grantAccess, parseGrantablePermission, parseGrantScope, parseGrantSubject, revokeAccess, type AccessChange, type AccessRequest } from "../data/grants.ts";
import { migrate } from "../data/migrate.ts";
import type { Actor } from "../domain/permissions.ts";
import { badInput } from "../errors.ts";
import { setLogLevel } from "../log.ts";
import { terminalLogLevel, type CliCommand, type CliIo } from "./cli-command.ts";

/** Who the audit log names for a change made from the CLI: the machine's user, since the CLI has no operator. */
function cliActor(): Actor {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No user database (some containers): the CLI is still the actor.
  }
  return { kind: "job", job: `cli:${user}` };
}

async function change(verb: "grant" | "revoke", args: string[], io: CliIo, apply: (db: ReturnType<typeof openDatabase>, request: AccessRequest) => Promise<AccessChange>): Promise<number> {
  if (args.length !== 3) throw badInput(`give SUBJECT PERMISSION SCOPE (got ${args.length} argument${args.length === 1 ? "" : "s"}); usage: embedops ${verb} EMAIL|S… view|run|manage|admin group:ID|all`);
  const [subjectText, permissionText, scopeText] = args as [string, string, string];
  // Input is checked before the database is opened: bad input never touches it.
  const subject = parseGrantSubject(subjectText);
  const permission = parseGrantablePermission(permissionText);
  const scope = parseGrantScope(scopeText);
  const config = loadConfig(io.env);
  setLogLevel(terminalLogLevel(io.env, config.logLevel));
  const db = openDatabase(config.databaseUrl);
  try {
    await migrate(db);
    const result = await apply(db, { subject, permission, scope, actor: cliActor(), at: new Date() });
    const line = `${result.message.replace(/`/g, "")}\n`;
    // Revoking what was never granted is bad input (exit 2); granting what is held is simply done already.
    if (verb === "revoke" && !result.changed) {
      io.stderr.write(`embedops revoke: ${line}`);
      return 2;
    }
    io.stdout.write(line);
    return 0;
  } finally {
    await db.close();
  }
}

/** `embedops grant SUBJECT PERMISSION SCOPE`: gives an operator (email) or a Slack user group (`S…`) a permission. */
export const grantCommand: CliCommand = {
  name: "grant",
  usage: "embedops grant EMAIL|S… view|run|manage|admin group:ID|all",
  summary: "Give an operator or a Slack user group a permission on a group or on all (audited).",
  run: (args, io) => change("grant", args, io, grantAccess),
};

/** `embedops revoke SUBJECT PERMISSION SCOPE`: takes a permission back (the one below stays). */
export const revokeCommand: CliCommand = {
  name: "revoke",
  usage: "embedops revoke EMAIL|S… view|run|manage|admin group:ID|all",
  summary: "Take a permission back from an operator or a Slack user group (audited).",
  run: (args, io) => change("revoke", args, io, revokeAccess),
};
