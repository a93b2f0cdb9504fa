import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";
import { Op, type Transaction, type WhereOptions } from "sequelize";
import { activationKey } from "../domain/activation.ts";
import { z } from "zod";
import { defaultConnectorAuthName } from "../domain/connector-auth-name.ts";
import { jsonPath } from "../domain/json-path.ts";
import { actorLabel, type Actor } from "../domain/permissions.ts";
import { EmbedopsError, ErrorCode } from "../errors.ts";
import { log } from "../log.ts";
import { recordAudit } from "./audit.ts";
import type { Database } from "./database.ts";
import type { ConnectorAuth, EmbedConfiguration, EmbedFlow, Grant, Group, Integration, Operator, SharingLevel, SlackLink } from "./models/index.ts";
import { recordRuns, type RunInput } from "./flow-runs.ts";

// ---------------------------------------------------------------------------------------------
// The import format (CONTRACT.md "Import format"), parsed once at the edge.
// ---------------------------------------------------------------------------------------------

const id = z.string().min(1, "must not be empty").max(255, "must be at most 255 characters");
const name = z.string().trim().min(1, "must not be empty").max(255, "must be at most 255 characters");
const optionalName = z.string().max(255, "must be at most 255 characters").nullable().optional();
const time = z.iso.datetime({ offset: true, error: "must be an ISO 8601 time with a zone, e.g. 2026-01-31T10:00:00Z" }).transform((value) => new Date(value));
const url = z.url({ error: "must be an http(s) URL", protocol: /^https?$/ }).nullable().optional();
const email = z.email({ error: "must be an email address" }).max(255).transform((value) => value.toLowerCase());
// Secrets are checked for shape only: no message ever repeats what was given.
const secret = z.string({ error: "must be a string" }).min(1, "must not be empty");

const GroupRow = z.strictObject({
  id,
  name,
  kind: z.enum(["group", "partner"], { error: 'must be "group" or "partner"' }).default("group"),
});

const ConfigurationRow = z.strictObject({
  id,
  name,
  group_id: id,
  sharing_level: z.enum(["user", "account"], { error: 'must be "user" or "account"' }),
  secret: secret.optional(),
  account_secrets: z.record(id, secret, { error: "must be an object of account id → secret" }).optional(),
  proprietary_connector: optionalName,
});

const FlowRow = z.strictObject({
  id,
  name,
  url,
  trigger: z.enum(["scheduler", "webhook"], { error: 'must be "scheduler" or "webhook"' }).default("scheduler"),
  trigger_url: url,
});

const IntegrationRow = z.strictObject({
  id,
  name,
  flow_id: id,
  configuration_id: id,
  embed_user_id: id,
  embed_account_id: id,
  embed_user_name: optionalName,
  embed_account_name: optionalName,
  status: z.enum(["enabled", "disabled"], { error: 'must be "enabled" or "disabled"' }).default("enabled"),
  trigger_url: url,
  created_at: time.optional(),
});

const RunRow = z.strictObject({
  id,
  integration_id: id,
  status: z.enum(["success", "error", "running", "retrying"], { error: 'must be "success", "error", "running" or "retrying"' }),
  trigger: z.enum(["scheduler", "webhook", "manual"], { error: 'must be "scheduler", "webhook" or "manual"' }).default("scheduler"),
  started_at: time,
  finished_at: time.nullable().optional(),
  error: z.string().max(10_000, "must be at most 10000 characters").nullable().optional(),
});

const ConnectorAuthRow = z.strictObject({
  id,
  connector_name: name,
  configuration_id: id,
  embed_user_id: id,
  embed_account_id: id,
  embed_user_name: optionalName,
  proprietary: z.boolean({ error: "must be true or false" }).optional(),
  name: optionalName,
  created_at: time.optional(),
});

const OperatorRow = z.strictObject({
  email,
  name: optionalName,
  role: z.enum(["admin", "member"], { error: 'must be "admin" or "member"' }).optional(),
});

const usergroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, "must be a Slack user group id such as S0ONCALL");

const GrantRow = z
  .strictObject({
    operator: email.optional(),
    slack_usergroup: usergroupId.optional(),
    permission: z.enum(["view", "run", "manage"], { error: 'must be "view", "run" or "manage"' }),
    // Required (null is "all groups"): a forgotten key must not silently grant everything.
    group_id: id.nullable(),
  })
  .refine((grant) => (grant.operator === undefined) !== (grant.slack_usergroup === undefined), {
    error: "needs exactly one of operator or slack_usergroup",
  });

const SlackLinkRow = z.strictObject({
  slack_user_id: z.string().regex(/^[UW][A-Z0-9]{2,}$/, "must be a Slack user id such as U0OLGA"),
  email,
});

/** The whole import file: every section optional. */
export const ImportFile = z.strictObject({
  groups: z.array(GroupRow).optional(),
  configurations: z.array(ConfigurationRow).optional(),
  flows: z.array(FlowRow).optional(),
  integrations: z.array(IntegrationRow).optional(),
  runs: z.array(RunRow).optional(),
  connector_auths: z.array(ConnectorAuthRow).optional(),
  operators: z.array(OperatorRow).optional(),
  grants: z.array(GrantRow).optional(),
  slack_links: z.array(SlackLinkRow).optional(),
});

/** An import file after parsing. */
type ImportDocument = z.infer<typeof ImportFile>;
/** The same, as written by hand or by a program (defaults not yet applied, times as strings). */
export type ImportInput = z.input<typeof ImportFile>;

// ---------------------------------------------------------------------------------------------
// Errors and results
// ---------------------------------------------------------------------------------------------

/** One thing wrong with an import, at its JSON path (`runs[3].integration_id`). */
interface ImportProblem {
  path: string;
  message: string;
  /** What to do about it, when the message alone does not say. */
  hint?: string;
}

/** An import refused: nothing was written. Carries every problem found, each naming its path. */
export class ImportError extends EmbedopsError {
  constructor(readonly problems: ImportProblem[]) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    super(ErrorCode.BadInput, `The import was refused and nothing was written: ${first ? formatProblem(first) : "no data"}${more}`);
    this.name = "ImportError";
  }
}

/** `path: message`, the way every import problem is shown. */
export function formatProblem(problem: ImportProblem): string {
  return `${problem.path}: ${problem.message}`;
}

/** The sections of the import format, in the order they are written. */
const IMPORT_SECTIONS = [
  "groups", "configurations", "account_secrets", "flows", "integrations", "runs", "connector_auths", "operators", "grants", "slack_links",
] as const;
/** One section of the import format (account_secrets are counted apart from their configurations). */
export type ImportSection = (typeof IMPORT_SECTIONS)[number];

/** What an import did to one section. */
export interface SectionCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** What an import did, per section. */
export type ImportCounts = Record<ImportSection, SectionCounts>;

/** How to import. */
interface ImportOptions {
  /** The time written on new and changed rows. */
  now: Date;
  /** The time zone of dates in default connector auth names (the config's TZ). */
  timeZone: string;
  /** Who imports, for status changes and the audit log (default `job:import`). */
  actor?: Actor;
  /** Run inside the caller's transaction instead of one of its own. */
  transaction?: Transaction;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** Where a problem is in the file: its JSON path, or "(file)" for the whole file. */
function problemPath(segments: ReadonlyArray<PropertyKey>): string {
  return jsonPath(segments) || "(file)";
}

function problemsFromZod(error: z.ZodError): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) problems.push({ path: problemPath([...issue.path, key]), message: "is not a field of the import format" });
      continue;
    }
    let message = issue.message;
    if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) message = "is required";
    else if (issue.code === "invalid_type") message = `must be ${issue.expected === "array" ? "a list" : issue.expected === "object" ? "an object" : `a ${issue.expected}`}`;
    problems.push({ path: problemPath(issue.path), message });
  }
  return problems;
}

/**
 * Parses the text of an import file. Invalid JSON is refused with its line and column only:
 * the parser's own message may quote the text, and the text holds secrets.
 */
export function parseImportText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    if (text.trim() === "") throw new ImportError([{ path: "(file)", message: "is not valid JSON: the file is empty" }]);
    const place = jsonErrorPlace(text);
    throw new ImportError([{ path: "(file)", message: `is not valid JSON${place?.where ?? ""}`, hint: place?.hint }]);
  }
}

/** What the JSON parser expected, in words, by its error code. */
const JSON_ERROR_WORDS: Record<string, string> = {
  ValueExpected: "a value was expected (a comma before ] is not allowed)",
  PropertyNameExpected: "a double-quoted property name was expected (a comma before } is not allowed)",
  CommaExpected: "a comma was expected",
  ColonExpected: "a colon was expected",
  CloseBraceExpected: "a closing } was expected",
  CloseBracketExpected: "a closing ] was expected",
  InvalidSymbol: "this is not JSON (strings need double quotes; no comments)",
  InvalidCommentToken: "comments are not allowed",
  UnexpectedEndOfString: "a string is never closed",
  EndOfFileExpected: "there is more after the end of the document",
};

/** Where the first JSON error is (` at line L, column C`) and what was expected there, never quoting the text (it holds secrets). */
function jsonErrorPlace(text: string): { where: string; hint?: string } | undefined {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return undefined;
  const before = text.slice(0, first.offset);
  const line = before.split("\n").length;
  const column = first.offset - before.lastIndexOf("\n");
  return { where: ` at line ${line}, column ${column}`, hint: JSON_ERROR_WORDS[printParseErrorCode(first.error)] };
}

/** Parses an import file (its text, or already parsed JSON) into typed rows; throws ImportError with every problem. */
function parseImport(input: unknown): ImportDocument {
  const value = typeof input === "string" ? parseImportText(input) : input;
  const result = ImportFile.safeParse(value);
  if (!result.success) throw new ImportError(problemsFromZod(result.error));
  return result.data;
}

// ---------------------------------------------------------------------------------------------
// Database helpers
// ---------------------------------------------------------------------------------------------

const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Rows whose `column` is one of `values`, in chunks that stay under every dialect's parameter limit. */
async function findIn<M>(
  finder: (where: WhereOptions, transaction: Transaction) => Promise<M[]>,
  column: string,
  values: Iterable<string | number>,
  transaction: Transaction,
): Promise<M[]> {
  const unique = [...new Set(values)];
  const out: M[] = [];
  for (const part of chunks(unique)) out.push(...(await finder({ [column]: { [Op.in]: part } }, transaction)));
  return out;
}

type Comparable = string | number | boolean | Date | null | undefined;

function same(a: Comparable, b: Comparable): boolean {
  const norm = (value: Comparable) => (value instanceof Date ? value.getTime() : (value ?? null));
  return norm(a) === norm(b);
}

/** True when every listed field of the stored row already holds the wanted value. */
function unchanged<T extends object>(stored: T, wanted: Partial<T>, fields: ReadonlyArray<keyof T>): boolean {
  return fields.every((field) => same(stored[field] as Comparable, wanted[field] as Comparable));
}

function latest(a: Date | null, b: Date): Date {
  return a && a > b ? a : b;
}

function emptyCounts(): ImportCounts {
  return Object.fromEntries(IMPORT_SECTIONS.map((section) => [section, { created: 0, updated: 0, unchanged: 0 }])) as ImportCounts;
}

/** Notes where each id first appears in a section, and a problem for every repeat. */
function firstIndexes<T>(rows: readonly T[], key: (row: T) => string, section: string, field: string, problems: ImportProblem[], what: string): Map<string, number> {
  const seen = new Map<string, number>();
  rows.forEach((row, index) => {
    const value = key(row);
    const first = seen.get(value);
    if (first !== undefined) problems.push({ path: `${section}[${index}].${field}`, message: `${what} ${value} appears twice (also ${section}[${first}])` });
    else seen.set(value, index);
  });
  return seen;
}

// ---------------------------------------------------------------------------------------------
// The import
// ---------------------------------------------------------------------------------------------

/**
 * Imports a file of the contract's import format (its text, or parsed JSON): all or nothing, in one
 * transaction, with idempotent upserts (the same file twice changes nothing the second time).
 * References are checked against the file and the database; every problem names its JSON path.
 * Runs go through recordRuns, so each integration's latest run is right. Returns counts per section.
 */
export async function importData(db: Database, input: unknown, options: ImportOptions): Promise<ImportCounts> {
  const file = parseImport(input);
  const work = (transaction: Transaction) => writeImport(db, file, options, transaction);
  const counts = options.transaction ? await work(options.transaction) : await db.sequelize.transaction(work);
  log.info({ counts: summary(counts) }, "import written");
  return counts;
}

/** `groups 3 created, integrations 2 updated …`: the non-zero counts on one line. */
export function summary(counts: ImportCounts): string {
  const parts: string[] = [];
  for (const section of IMPORT_SECTIONS) {
    const { created, updated, unchanged: same } = counts[section];
    if (created + updated + same === 0) continue;
    parts.push(`${section.replace("_", " ")}: ${created} created, ${updated} updated, ${same} unchanged`);
  }
  return parts.length ? parts.join("; ") : "nothing to import";
}

async function writeImport(db: Database, file: ImportDocument, options: ImportOptions, transaction: Transaction): Promise<ImportCounts> {
  const m = db.models;
  const { now } = options;
  const actor: Actor = options.actor ?? { kind: "job", job: "import" };
  const problems: ImportProblem[] = [];
  const counts = emptyCounts();

  const groups = file.groups ?? [];
  const configurations = file.configurations ?? [];
  const flows = file.flows ?? [];
  const integrations = file.integrations ?? [];
  const runs = file.runs ?? [];
  const auths = file.connector_auths ?? [];
  const operators = file.operators ?? [];
  const grants = file.grants ?? [];
  const links = file.slack_links ?? [];

  // Repeats inside the file: which row would win is a guess, so refuse.
  firstIndexes(groups, (row) => row.id, "groups", "id", problems, "group");
  firstIndexes(configurations, (row) => row.id, "configurations", "id", problems, "configuration");
  firstIndexes(flows, (row) => row.id, "flows", "id", problems, "flow");
  firstIndexes(integrations, (row) => row.id, "integrations", "id", problems, "integration");
  firstIndexes(runs, (row) => row.id, "runs", "id", problems, "run");
  firstIndexes(auths, (row) => row.id, "connector_auths", "id", problems, "connector auth");
  firstIndexes(operators, (row) => row.email, "operators", "email", problems, "operator");
  firstIndexes(links, (row) => row.slack_user_id, "slack_links", "slack_user_id", problems, "Slack user");
  runs.forEach((run, index) => {
    if (run.finished_at && run.finished_at < run.started_at) problems.push({ path: `runs[${index}].finished_at`, message: "is before started_at" });
  });

  // What the database already holds, for references and for telling new rows from changed ones.
  const storedGroups = new Map<string, Group>(
    (await findIn((where, t) => m.Group.findAll({ where, transaction: t }), "id", [...groups.map((g) => g.id), ...configurations.map((c) => c.group_id), ...grants.flatMap((g) => (g.group_id ? [g.group_id] : []))], transaction)).map((g) => [g.id, g]),
  );
  const storedConfigurations = new Map<string, EmbedConfiguration>(
    (await findIn((where, t) => m.EmbedConfiguration.findAll({ where, transaction: t }), "id", [...configurations.map((c) => c.id), ...integrations.map((i) => i.configuration_id), ...auths.map((a) => a.configuration_id)], transaction)).map((c) => [c.id, c]),
  );
  const storedFlows = new Map<string, EmbedFlow>(
    (await findIn((where, t) => m.EmbedFlow.findAll({ where, transaction: t }), "id", [...flows.map((f) => f.id), ...integrations.map((i) => i.flow_id)], transaction)).map((f) => [f.id, f]),
  );
  const storedIntegrations = new Map<string, Integration>(
    (await findIn((where, t) => m.Integration.findAll({ where, transaction: t }), "id", [...integrations.map((i) => i.id), ...runs.map((r) => r.integration_id)], transaction)).map((i) => [i.id, i]),
  );
  const storedAuths = new Map<string, ConnectorAuth>((await findIn((where, t) => m.ConnectorAuth.findAll({ where, transaction: t }), "id", auths.map((a) => a.id), transaction)).map((a) => [a.id, a]));
  const storedOperators = new Map<string, Operator>(
    (await findIn((where, t) => m.Operator.findAll({ where, transaction: t }), "email", [...operators.map((o) => o.email), ...grants.flatMap((g) => (g.operator ? [g.operator] : [])), ...links.map((l) => l.email)], transaction)).map((o) => [o.email, o]),
  );
  const storedLinks = new Map<string, SlackLink>((await findIn((where, t) => m.SlackLink.findAll({ where, transaction: t }), "slack_user_id", links.map((l) => l.slack_user_id), transaction)).map((l) => [l.slackUserId, l]));
  const storedRuns = new Map(
    (await findIn((where, t) => m.FlowRun.findAll({ where, transaction: t, attributes: ["id", "integrationId"] }), "id", runs.map((r) => r.id), transaction)).map((r) => [r.id, r]),
  );

  // References, each against the file and the database.
  const fileGroups = new Set(groups.map((g) => g.id));
  const fileConfigurations = new Map(configurations.map((c) => [c.id, c]));
  const fileFlows = new Set(flows.map((f) => f.id));
  const fileIntegrations = new Set(integrations.map((i) => i.id));
  const fileOperators = new Set(operators.map((o) => o.email));
  const hasGroup = (groupId: string) => fileGroups.has(groupId) || storedGroups.has(groupId);
  /** The configuration as it will be after the import. */
  const configurationOf = (configurationId: string): { groupId: string; sharingLevel: SharingLevel; proprietaryConnector: string | null } | undefined => {
    const row = fileConfigurations.get(configurationId);
    if (row) return { groupId: row.group_id, sharingLevel: row.sharing_level, proprietaryConnector: row.proprietary_connector ?? null };
    return storedConfigurations.get(configurationId);
  };

  configurations.forEach((row, index) => {
    if (!hasGroup(row.group_id)) problems.push({ path: `configurations[${index}].group_id`, message: `no group ${row.group_id}` });
    const stored = storedConfigurations.get(row.id);
    if (stored && stored.sharingLevel !== row.sharing_level) {
      problems.push({ path: `configurations[${index}].sharing_level`, message: `${row.id} was created with sharing level ${stored.sharingLevel}, which cannot change` });
    }
    if (!stored && row.secret === undefined) problems.push({ path: `configurations[${index}].secret`, message: "is required for a new configuration" });
  });

  const keys = new Map<string, number>();
  integrations.forEach((row, index) => {
    if (!fileFlows.has(row.flow_id) && !storedFlows.has(row.flow_id)) problems.push({ path: `integrations[${index}].flow_id`, message: `no flow ${row.flow_id}` });
    const configuration = configurationOf(row.configuration_id);
    if (!configuration) {
      problems.push({ path: `integrations[${index}].configuration_id`, message: `no configuration ${row.configuration_id}` });
      return;
    }
    const key = activationKey(row.configuration_id, row.flow_id, configuration.sharingLevel, row.embed_user_id, row.embed_account_id);
    const first = keys.get(key);
    if (first !== undefined) {
      const who = configuration.sharingLevel === "user" ? `user ${row.embed_user_id}` : `account ${row.embed_account_id}`;
      problems.push({ path: `integrations[${index}]`, message: `${row.id} is a second activation of flow ${row.flow_id} in ${row.configuration_id} for ${who} (also integrations[${first}], ${integrations[first]!.id})` });
    } else keys.set(key, index);
  });
  // An activation that already exists in the database under another id.
  const keyOwners = await findIn(
    (where, t) => m.Integration.findAll({ where, transaction: t, attributes: ["id", "activationKey"] }),
    "activation_key",
    keys.keys(),
    transaction,
  );
  const movedAway = new Set(integrations.map((row) => row.id));
  for (const owner of keyOwners) {
    const index = keys.get(owner.activationKey)!;
    const row = integrations[index]!;
    if (owner.id !== row.id && !movedAway.has(owner.id)) {
      problems.push({ path: `integrations[${index}]`, message: `flow ${row.flow_id} in ${row.configuration_id} is already activated for the same ${owner.activationKey.includes("|u:") ? "user" : "account"} as integration ${owner.id}` });
    }
  }

  runs.forEach((row, index) => {
    if (!fileIntegrations.has(row.integration_id) && !storedIntegrations.has(row.integration_id)) {
      problems.push({ path: `runs[${index}].integration_id`, message: `no integration ${row.integration_id}` });
      return;
    }
    const stored = storedRuns.get(row.id);
    if (stored && stored.integrationId !== row.integration_id) problems.push({ path: `runs[${index}].integration_id`, message: `run ${row.id} belongs to integration ${stored.integrationId}` });
  });

  auths.forEach((row, index) => {
    if (!configurationOf(row.configuration_id)) problems.push({ path: `connector_auths[${index}].configuration_id`, message: `no configuration ${row.configuration_id}` });
  });

  const hasOperator = (emailAddress: string) => fileOperators.has(emailAddress) || storedOperators.has(emailAddress);
  const grantKeys = new Map<string, number>();
  grants.forEach((row, index) => {
    if (row.operator !== undefined && !hasOperator(row.operator)) problems.push({ path: `grants[${index}].operator`, message: `no operator ${row.operator}` });
    if (row.group_id !== null && !hasGroup(row.group_id)) problems.push({ path: `grants[${index}].group_id`, message: `no group ${row.group_id}` });
    const key = `${row.operator ?? row.slack_usergroup}|${row.group_id ?? "*"}`;
    const first = grantKeys.get(key);
    if (first !== undefined) problems.push({ path: `grants[${index}]`, message: `a second grant for the same subject and group (also grants[${first}])` });
    else grantKeys.set(key, index);
  });
  links.forEach((row, index) => {
    if (!hasOperator(row.email)) problems.push({ path: `slack_links[${index}].email`, message: `no operator ${row.email}` });
  });

  if (problems.length) throw new ImportError(problems);

  // ---- writes, parents first ----
  const stamp = { createdAt: now, updatedAt: now };

  // Groups.
  const groupRows = groups.filter((row) => {
    const stored = storedGroups.get(row.id);
    const wanted = { name: row.name, kind: row.kind };
    if (!stored) counts.groups.created++;
    else if (unchanged(stored, wanted, ["name", "kind"])) return (counts.groups.unchanged++, false);
    else counts.groups.updated++;
    return true;
  });
  for (const part of chunks(groupRows)) {
    await m.Group.bulkCreate(part.map((row) => ({ id: row.id, name: row.name, kind: row.kind, createdAt: storedGroups.get(row.id)?.createdAt ?? now, updatedAt: now })), { transaction, updateOnDuplicate: ["name", "kind", "updatedAt"] });
  }

  // Configurations; a configuration that moves group takes its integrations and auths along.
  const movedConfigurations: Array<{ id: string; groupId: string }> = [];
  const configurationRows = configurations.flatMap((row) => {
    const stored = storedConfigurations.get(row.id);
    const wanted = { name: row.name, groupId: row.group_id, sharingLevel: row.sharing_level, secret: row.secret ?? stored?.secret ?? "", proprietaryConnector: row.proprietary_connector ?? null };
    if (!stored) counts.configurations.created++;
    else if (unchanged(stored, wanted, ["name", "groupId", "secret", "proprietaryConnector"])) return (counts.configurations.unchanged++, []);
    else counts.configurations.updated++;
    if (stored && stored.groupId !== row.group_id) movedConfigurations.push({ id: row.id, groupId: row.group_id });
    return [{ id: row.id, ...wanted, createdAt: stored?.createdAt ?? now, updatedAt: now }];
  });
  for (const part of chunks(configurationRows)) {
    await m.EmbedConfiguration.bulkCreate(part, { transaction, updateOnDuplicate: ["name", "groupId", "secret", "proprietaryConnector", "updatedAt"] });
  }
  for (const moved of movedConfigurations) {
    await m.Integration.update({ groupId: moved.groupId, updatedAt: now }, { where: { configurationId: moved.id }, transaction });
    await m.ConnectorAuth.update({ groupId: moved.groupId, updatedAt: now }, { where: { configurationId: moved.id }, transaction });
  }

  // Account secrets, never logged or shown.
  const withAccountSecrets = configurations.filter((row) => row.account_secrets && Object.keys(row.account_secrets).length);
  if (withAccountSecrets.length) {
    const stored = await findIn((where, t) => m.AccountSecret.findAll({ where, transaction: t }), "configuration_id", withAccountSecrets.map((row) => row.id), transaction);
    const storedSecret = new Map(stored.map((row) => [`${row.configurationId}\u0000${row.embedAccountId}`, row]));
    const secretRows = withAccountSecrets.flatMap((row) =>
      Object.entries(row.account_secrets!).flatMap(([embedAccountId, value]) => {
        const existing = storedSecret.get(`${row.id}\u0000${embedAccountId}`);
        if (!existing) counts.account_secrets.created++;
        else if (existing.secret === value) return (counts.account_secrets.unchanged++, []);
        else counts.account_secrets.updated++;
        return [{ configurationId: row.id, embedAccountId, secret: value, createdAt: existing?.createdAt ?? now, updatedAt: now }];
      }),
    );
    for (const part of chunks(secretRows)) await m.AccountSecret.bulkCreate(part, { transaction, updateOnDuplicate: ["secret", "updatedAt"] });
  }

  // Embed flows.
  const flowRows = flows.flatMap((row) => {
    const stored = storedFlows.get(row.id);
    const wanted = { name: row.name, url: row.url ?? null, trigger: row.trigger, triggerUrl: row.trigger_url ?? null };
    if (!stored) counts.flows.created++;
    else if (unchanged(stored, wanted, ["name", "url", "trigger", "triggerUrl"])) return (counts.flows.unchanged++, []);
    else counts.flows.updated++;
    return [{ id: row.id, ...wanted, createdAt: stored?.createdAt ?? now, updatedAt: now }];
  });
  for (const part of chunks(flowRows)) await m.EmbedFlow.bulkCreate(part, { transaction, updateOnDuplicate: ["name", "url", "trigger", "triggerUrl", "updatedAt"] });

  // Integrations: group and sharing level come from the configuration; latest-run fields stay as runs made them.
  const INTEGRATION_FIELDS = [
    "name", "flowId", "configurationId", "groupId", "sharingLevel", "activationKey", "embedUserId", "embedAccountId",
    "embedUserName", "embedAccountName", "status", "triggerUrl", "createdAt", "activityAt",
  ] as const;
  const statusChanges: Array<{ id: string; groupId: string; status: string }> = [];
  const integrationRows = integrations.flatMap((row) => {
    const stored = storedIntegrations.get(row.id);
    const configuration = configurationOf(row.configuration_id)!;
    const createdAt = row.created_at ?? stored?.createdAt ?? now;
    const wanted = {
      name: row.name,
      flowId: row.flow_id,
      configurationId: row.configuration_id,
      groupId: configuration.groupId,
      sharingLevel: configuration.sharingLevel,
      activationKey: activationKey(row.configuration_id, row.flow_id, configuration.sharingLevel, row.embed_user_id, row.embed_account_id),
      embedUserId: row.embed_user_id,
      embedAccountId: row.embed_account_id,
      embedUserName: row.embed_user_name ?? null,
      embedAccountName: row.embed_account_name ?? null,
      status: row.status,
      triggerUrl: row.trigger_url ?? null,
      createdAt,
      // Newest activity: the latest run's start, else the activation; kept as runs made it unless the activation moves.
      activityAt: stored && same(stored.createdAt, createdAt) ? stored.activityAt : latest(stored?.latestRunAt ?? null, createdAt),
    };
    if (!stored) counts.integrations.created++;
    else if (unchanged(stored, wanted, INTEGRATION_FIELDS)) return (counts.integrations.unchanged++, []);
    else counts.integrations.updated++;
    const statusChanged = stored ? stored.status !== row.status : row.status === "disabled";
    if (stored && statusChanged) statusChanges.push({ id: row.id, groupId: wanted.groupId, status: row.status });
    return [{
      id: row.id,
      ...wanted,
      embedState: stored?.embedState ?? null,
      statusChangedAt: statusChanged ? now : (stored?.statusChangedAt ?? null),
      statusChangedBy: statusChanged ? actorLabel(actor) : (stored?.statusChangedBy ?? null),
      disabledReason: row.status === "disabled" ? (statusChanged ? "disabled by import" : (stored?.disabledReason ?? null)) : null,
      latestRunId: stored?.latestRunId ?? null,
      latestRunStatus: stored?.latestRunStatus ?? null,
      latestRunAt: stored?.latestRunAt ?? null,
      latestRunError: stored?.latestRunError ?? null,
      lastSuccessAt: stored?.lastSuccessAt ?? null,
      failuresInRow: stored?.failuresInRow ?? 0,
      failingSince: stored?.failingSince ?? null,
      manualRunId: stored?.manualRunId ?? null,
      updatedAt: now,
    }];
  });
  for (const part of chunks(integrationRows)) {
    await m.Integration.bulkCreate(part, {
      transaction,
      updateOnDuplicate: [...INTEGRATION_FIELDS, "statusChangedAt", "statusChangedBy", "disabledReason", "updatedAt"],
    });
  }
  for (const change of statusChanges) {
    await recordAudit(db, { actor, action: change.status === "disabled" ? "disable" : "enable", targetId: change.id, groupId: change.groupId, outcome: "ok", detail: "by import", at: now }, transaction);
  }

  // Flow runs, oldest first, so each batch only moves the latest run forward.
  const runInputs: RunInput[] = runs
    .map((row) => ({ id: row.id, integrationId: row.integration_id, status: row.status, trigger: row.trigger, startedAt: row.started_at, finishedAt: row.finished_at ?? null, error: row.error ?? null }))
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  let written = 0;
  for (const part of chunks(runInputs, 1000)) written += (await recordRuns(db, part, transaction, now)).written;
  const newRuns = runs.filter((row) => !storedRuns.has(row.id)).length;
  counts.runs = { created: newRuns, updated: Math.max(0, written - newRuns), unchanged: runs.length - written };

  // Connector auths: unnamed ones get the platform's default name; proprietary defaults to the configuration's connector.
  const AUTH_FIELDS = ["name", "connectorName", "configurationId", "groupId", "sharingLevel", "embedUserId", "embedAccountId", "embedUserName", "proprietary", "createdAt"] as const;
  const authRows = auths.flatMap((row) => {
    const stored = storedAuths.get(row.id);
    const configuration = configurationOf(row.configuration_id)!;
    const createdAt = row.created_at ?? stored?.createdAt ?? now;
    const wanted = {
      name: row.name?.trim() || defaultConnectorAuthName(row.connector_name, createdAt, options.timeZone, row.embed_user_name, row.embed_user_id),
      connectorName: row.connector_name,
      configurationId: row.configuration_id,
      groupId: configuration.groupId,
      sharingLevel: configuration.sharingLevel,
      embedUserId: row.embed_user_id,
      embedAccountId: row.embed_account_id,
      embedUserName: row.embed_user_name ?? null,
      proprietary: row.proprietary ?? (configuration.proprietaryConnector !== null && configuration.proprietaryConnector.toLowerCase() === row.connector_name.toLowerCase()),
      createdAt,
    };
    if (!stored) counts.connector_auths.created++;
    else if (unchanged(stored, wanted, AUTH_FIELDS)) return (counts.connector_auths.unchanged++, []);
    else counts.connector_auths.updated++;
    return [{ id: row.id, ...wanted, updatedAt: now }];
  });
  for (const part of chunks(authRows)) await m.ConnectorAuth.bulkCreate(part, { transaction, updateOnDuplicate: [...AUTH_FIELDS, "updatedAt"] });

  // Operators, by lower-cased email; a row without role or name keeps what is stored.
  for (const row of operators) {
    const stored = storedOperators.get(row.email);
    if (!stored) {
      const created = await m.Operator.create({ email: row.email, name: row.name ?? null, role: row.role ?? "member", ...stamp }, { transaction });
      storedOperators.set(row.email, created);
      counts.operators.created++;
      continue;
    }
    const wanted = { name: row.name === undefined ? stored.name : row.name, role: row.role ?? stored.role };
    if (unchanged(stored, wanted, ["name", "role"])) counts.operators.unchanged++;
    else {
      await stored.update({ ...wanted, updatedAt: now }, { transaction });
      counts.operators.updated++;
    }
  }

  // Grants: one per subject and scope; importing again replaces the permission.
  const subjectKeyOf = (row: (typeof grants)[number]) => (row.operator ? `op:${storedOperators.get(row.operator)!.id}` : `ug:${row.slack_usergroup}`);
  const storedGrants = new Map<string, Grant>(
    (await findIn((where, t) => m.Grant.findAll({ where, transaction: t }), "subject_key", grants.map(subjectKeyOf), transaction)).map((g) => [`${g.subjectKey}|${g.scopeKey}`, g]),
  );
  const newGrants = [];
  for (const row of grants) {
    const subjectKey = subjectKeyOf(row);
    const scopeKey = row.group_id ?? "*";
    const stored = storedGrants.get(`${subjectKey}|${scopeKey}`);
    if (!stored) {
      counts.grants.created++;
      newGrants.push({
        operatorId: row.operator ? storedOperators.get(row.operator)!.id : null,
        slackUsergroupId: row.slack_usergroup ?? null,
        permission: row.permission,
        groupId: row.group_id,
        subjectKey,
        scopeKey,
        createdBy: actorLabel(actor),
        ...stamp,
      });
    } else if (stored.permission === row.permission) counts.grants.unchanged++;
    else {
      await stored.update({ permission: row.permission, updatedAt: now }, { transaction });
      counts.grants.updated++;
    }
  }
  for (const part of chunks(newGrants)) await m.Grant.bulkCreate(part, { transaction });

  // Slack links: the explicit mapping wins over the email Slack reports.
  for (const row of links) {
    const operatorId = storedOperators.get(row.email)!.id;
    const stored = storedLinks.get(row.slack_user_id);
    if (!stored) {
      await m.SlackLink.create({ slackUserId: row.slack_user_id, operatorId, createdBy: actorLabel(actor), ...stamp }, { transaction });
      counts.slack_links.created++;
    } else if (stored.operatorId === operatorId) counts.slack_links.unchanged++;
    else {
      await stored.update({ operatorId, updatedAt: now }, { transaction });
      counts.slack_links.updated++;
    }
  }

  const changedSomething = IMPORT_SECTIONS.some((section) => counts[section].created + counts[section].updated > 0);
  if (changedSomething) await recordAudit(db, { actor, action: "import", outcome: "ok", detail: summary(counts), at: now }, transaction);
  return counts;
}
