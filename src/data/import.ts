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
// The import format (the README's "Import format"), parsed once at the edge.
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

/** The file's sections, an absent one as empty. */
interface Sections {
  groups: NonNullable<ImportDocument["groups"]>;
  configurations: NonNullable<ImportDocument["configurations"]>;
  flows: NonNullable<ImportDocument["flows"]>;
  integrations: NonNullable<ImportDocument["integrations"]>;
  runs: NonNullable<ImportDocument["runs"]>;
  auths: NonNullable<ImportDocument["connector_auths"]>;
  operators: NonNullable<ImportDocument["operators"]>;
  grants: NonNullable<ImportDocument["grants"]>;
  links: NonNullable<ImportDocument["slack_links"]>;
}

/** What the database already holds of the rows the file names or refers to, by id (operators by email). */
interface StoredRows {
  groups: Map<string, Group>;
  configurations: Map<string, EmbedConfiguration>;
  flows: Map<string, EmbedFlow>;
  integrations: Map<string, Integration>;
  auths: Map<string, ConnectorAuth>;
  operators: Map<string, Operator>;
  links: Map<string, SlackLink>;
  runs: Map<string, { integrationId: string }>;
}

/** A configuration as it will be after the import. */
interface PlannedConfiguration {
  groupId: string;
  sharingLevel: SharingLevel;
  proprietaryConnector: string | null;
}

/** One import under way: the file, what is stored, where writes go, and the counts so far. */
interface ImportRun {
  db: Database;
  transaction: Transaction;
  now: Date;
  actor: Actor;
  timeZone: string;
  file: Sections;
  stored: StoredRows;
  counts: ImportCounts;
  hasGroup: (groupId: string) => boolean;
  hasOperator: (email: string) => boolean;
  configurationOf: (configurationId: string) => PlannedConfiguration | undefined;
}

function sectionsOf(file: ImportDocument): Sections {
  return {
    groups: file.groups ?? [],
    configurations: file.configurations ?? [],
    flows: file.flows ?? [],
    integrations: file.integrations ?? [],
    runs: file.runs ?? [],
    auths: file.connector_auths ?? [],
    operators: file.operators ?? [],
    grants: file.grants ?? [],
    links: file.slack_links ?? [],
  };
}

/** Repeats inside the file: which row would win is a guess, so refuse; and runs that end before they start. */
function checkRepeats(file: Sections, problems: ImportProblem[]): void {
  firstIndexes(file.groups, (row) => row.id, "groups", "id", problems, "group");
  firstIndexes(file.configurations, (row) => row.id, "configurations", "id", problems, "configuration");
  firstIndexes(file.flows, (row) => row.id, "flows", "id", problems, "flow");
  firstIndexes(file.integrations, (row) => row.id, "integrations", "id", problems, "integration");
  firstIndexes(file.runs, (row) => row.id, "runs", "id", problems, "run");
  firstIndexes(file.auths, (row) => row.id, "connector_auths", "id", problems, "connector auth");
  firstIndexes(file.operators, (row) => row.email, "operators", "email", problems, "operator");
  firstIndexes(file.links, (row) => row.slack_user_id, "slack_links", "slack_user_id", problems, "Slack user");
  file.runs.forEach((run, index) => {
    if (run.finished_at && run.finished_at < run.started_at) problems.push({ path: `runs[${index}].finished_at`, message: "is before started_at" });
  });
}

/** What the database already holds, for references and for telling new rows from changed ones. */
async function loadStored(db: Database, file: Sections, transaction: Transaction): Promise<StoredRows> {
  const m = db.models;
  const { groups, configurations, flows, integrations, runs, auths, operators, grants, links } = file;
  const byId = <R extends { id: string }>(rows: R[]) => new Map(rows.map((row) => [row.id, row]));
  return {
    groups: byId(await findIn((where, t) => m.Group.findAll({ where, transaction: t }), "id", [...groups.map((g) => g.id), ...configurations.map((c) => c.group_id), ...grants.flatMap((g) => (g.group_id ? [g.group_id] : []))], transaction)),
    configurations: byId(await findIn((where, t) => m.EmbedConfiguration.findAll({ where, transaction: t }), "id", [...configurations.map((c) => c.id), ...integrations.map((i) => i.configuration_id), ...auths.map((a) => a.configuration_id)], transaction)),
    flows: byId(await findIn((where, t) => m.EmbedFlow.findAll({ where, transaction: t }), "id", [...flows.map((f) => f.id), ...integrations.map((i) => i.flow_id)], transaction)),
    integrations: byId(await findIn((where, t) => m.Integration.findAll({ where, transaction: t }), "id", [...integrations.map((i) => i.id), ...runs.map((r) => r.integration_id)], transaction)),
    auths: byId(await findIn((where, t) => m.ConnectorAuth.findAll({ where, transaction: t }), "id", auths.map((a) => a.id), transaction)),
    operators: new Map(
      (await findIn((where, t) => m.Operator.findAll({ where, transaction: t }), "email", [...operators.map((o) => o.email), ...grants.flatMap((g) => (g.operator ? [g.operator] : [])), ...links.map((l) => l.email)], transaction)).map((o) => [o.email, o]),
    ),
    links: new Map((await findIn((where, t) => m.SlackLink.findAll({ where, transaction: t }), "slack_user_id", links.map((l) => l.slack_user_id), transaction)).map((l) => [l.slackUserId, l])),
    runs: byId(await findIn((where, t) => m.FlowRun.findAll({ where, transaction: t, attributes: ["id", "integrationId"] }), "id", runs.map((r) => r.id), transaction)),
  };
}

/** The import's shared state: references resolve against the file first, then the database. */
function startRun(db: Database, file: Sections, stored: StoredRows, options: ImportOptions, transaction: Transaction): ImportRun {
  const fileGroups = new Set(file.groups.map((g) => g.id));
  const fileConfigurations = new Map(file.configurations.map((c) => [c.id, c]));
  const fileOperators = new Set(file.operators.map((o) => o.email));
  return {
    db,
    transaction,
    now: options.now,
    actor: options.actor ?? { kind: "job", job: "import" },
    timeZone: options.timeZone,
    file,
    stored,
    counts: emptyCounts(),
    hasGroup: (groupId) => fileGroups.has(groupId) || stored.groups.has(groupId),
    hasOperator: (email) => fileOperators.has(email) || stored.operators.has(email),
    configurationOf: (configurationId) => {
      const row = fileConfigurations.get(configurationId);
      if (row) return { groupId: row.group_id, sharingLevel: row.sharing_level, proprietaryConnector: row.proprietary_connector ?? null };
      return stored.configurations.get(configurationId);
    },
  };
}

function checkConfigurations(run: ImportRun, problems: ImportProblem[]): void {
  run.file.configurations.forEach((row, index) => {
    if (!run.hasGroup(row.group_id)) problems.push({ path: `configurations[${index}].group_id`, message: `no group ${row.group_id}` });
    const stored = run.stored.configurations.get(row.id);
    if (stored && stored.sharingLevel !== row.sharing_level) {
      problems.push({ path: `configurations[${index}].sharing_level`, message: `${row.id} was created with sharing level ${stored.sharingLevel}, which cannot change` });
    }
    if (!stored && row.secret === undefined) problems.push({ path: `configurations[${index}].secret`, message: "is required for a new configuration" });
  });
}

/** Flows and configurations exist; one activation per key, in the file and against the database. */
async function checkIntegrations(run: ImportRun, problems: ImportProblem[]): Promise<void> {
  const { integrations, flows } = run.file;
  const fileFlows = new Set(flows.map((f) => f.id));
  const keys = new Map<string, number>();
  integrations.forEach((row, index) => {
    if (!fileFlows.has(row.flow_id) && !run.stored.flows.has(row.flow_id)) problems.push({ path: `integrations[${index}].flow_id`, message: `no flow ${row.flow_id}` });
    const configuration = run.configurationOf(row.configuration_id);
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
    (where, t) => run.db.models.Integration.findAll({ where, transaction: t, attributes: ["id", "activationKey"] }),
    "activation_key",
    keys.keys(),
    run.transaction,
  );
  const movedAway = new Set(integrations.map((row) => row.id));
  for (const owner of keyOwners) {
    const index = keys.get(owner.activationKey)!;
    const row = integrations[index]!;
    if (owner.id !== row.id && !movedAway.has(owner.id)) {
      problems.push({ path: `integrations[${index}]`, message: `flow ${row.flow_id} in ${row.configuration_id} is already activated for the same ${owner.activationKey.includes("|u:") ? "user" : "account"} as integration ${owner.id}` });
    }
  }
}

function checkRuns(run: ImportRun, problems: ImportProblem[]): void {
  const fileIntegrations = new Set(run.file.integrations.map((i) => i.id));
  run.file.runs.forEach((row, index) => {
    if (!fileIntegrations.has(row.integration_id) && !run.stored.integrations.has(row.integration_id)) {
      problems.push({ path: `runs[${index}].integration_id`, message: `no integration ${row.integration_id}` });
      return;
    }
    const stored = run.stored.runs.get(row.id);
    if (stored && stored.integrationId !== row.integration_id) problems.push({ path: `runs[${index}].integration_id`, message: `run ${row.id} belongs to integration ${stored.integrationId}` });
  });
}

function checkConnectorAuths(run: ImportRun, problems: ImportProblem[]): void {
  run.file.auths.forEach((row, index) => {
    if (!run.configurationOf(row.configuration_id)) problems.push({ path: `connector_auths[${index}].configuration_id`, message: `no configuration ${row.configuration_id}` });
  });
}

function checkGrants(run: ImportRun, problems: ImportProblem[]): void {
  const grantKeys = new Map<string, number>();
  run.file.grants.forEach((row, index) => {
    if (row.operator !== undefined && !run.hasOperator(row.operator)) problems.push({ path: `grants[${index}].operator`, message: `no operator ${row.operator}` });
    if (row.group_id !== null && !run.hasGroup(row.group_id)) problems.push({ path: `grants[${index}].group_id`, message: `no group ${row.group_id}` });
    const key = `${row.operator ?? row.slack_usergroup}|${row.group_id ?? "*"}`;
    const first = grantKeys.get(key);
    if (first !== undefined) problems.push({ path: `grants[${index}]`, message: `a second grant for the same subject and group (also grants[${first}])` });
    else grantKeys.set(key, index);
  });
}

function checkSlackLinks(run: ImportRun, problems: ImportProblem[]): void {
  run.file.links.forEach((row, index) => {
    if (!run.hasOperator(row.email)) problems.push({ path: `slack_links[${index}].email`, message: `no operator ${row.email}` });
  });
}

/** Checks the whole file against itself and the database, then writes it section by section, parents first. */
async function writeImport(db: Database, document: ImportDocument, options: ImportOptions, transaction: Transaction): Promise<ImportCounts> {
  const file = sectionsOf(document);
  const problems: ImportProblem[] = [];
  checkRepeats(file, problems);
  const run = startRun(db, file, await loadStored(db, file, transaction), options, transaction);
  checkConfigurations(run, problems);
  await checkIntegrations(run, problems);
  checkRuns(run, problems);
  checkConnectorAuths(run, problems);
  checkGrants(run, problems);
  checkSlackLinks(run, problems);
  if (problems.length) throw new ImportError(problems);

  await writeGroups(run);
  await writeConfigurations(run);
  await writeAccountSecrets(run);
  await writeFlows(run);
  await writeIntegrations(run);
  await markHealthDue(run);
  await writeRuns(run);
  await writeConnectorAuths(run);
  await writeOperators(run);
  await writeGrants(run);
  await writeSlackLinks(run);

  const { counts, actor, now } = run;
  const changedSomething = IMPORT_SECTIONS.some((section) => counts[section].created + counts[section].updated > 0);
  if (changedSomething) await recordAudit(db, { actor, action: "import", outcome: "ok", detail: summary(counts), at: now }, transaction);
  return counts;
}

async function writeGroups({ db, file, stored, counts, now, transaction }: ImportRun): Promise<void> {
  const groupRows = file.groups.filter((row) => {
    const existing = stored.groups.get(row.id);
    const wanted = { name: row.name, kind: row.kind };
    if (!existing) counts.groups.created++;
    else if (unchanged(existing, wanted, ["name", "kind"])) return (counts.groups.unchanged++, false);
    else counts.groups.updated++;
    return true;
  });
  for (const part of chunks(groupRows)) {
    await db.models.Group.bulkCreate(part.map((row) => ({ id: row.id, name: row.name, kind: row.kind, createdAt: stored.groups.get(row.id)?.createdAt ?? now, updatedAt: now })), { transaction, updateOnDuplicate: ["name", "kind", "updatedAt"] });
  }
}

/** Configurations; a configuration that moves group takes its integrations and auths along. */
async function writeConfigurations({ db, file, stored, counts, now, transaction }: ImportRun): Promise<void> {
  const m = db.models;
  const movedConfigurations: Array<{ id: string; groupId: string }> = [];
  const configurationRows = file.configurations.flatMap((row) => {
    const existing = stored.configurations.get(row.id);
    const wanted = { name: row.name, groupId: row.group_id, sharingLevel: row.sharing_level, secret: row.secret ?? existing?.secret ?? "", proprietaryConnector: row.proprietary_connector ?? null };
    if (!existing) counts.configurations.created++;
    else if (unchanged(existing, wanted, ["name", "groupId", "secret", "proprietaryConnector"])) return (counts.configurations.unchanged++, []);
    else counts.configurations.updated++;
    if (existing && existing.groupId !== row.group_id) movedConfigurations.push({ id: row.id, groupId: row.group_id });
    return [{ id: row.id, ...wanted, createdAt: existing?.createdAt ?? now, updatedAt: now }];
  });
  for (const part of chunks(configurationRows)) {
    await m.EmbedConfiguration.bulkCreate(part, { transaction, updateOnDuplicate: ["name", "groupId", "secret", "proprietaryConnector", "updatedAt"] });
  }
  for (const moved of movedConfigurations) {
    await m.Integration.update({ groupId: moved.groupId, updatedAt: now }, { where: { configurationId: moved.id }, transaction });
    await m.ConnectorAuth.update({ groupId: moved.groupId, updatedAt: now }, { where: { configurationId: moved.id }, transaction });
  }
}

/** Account secrets, never logged or shown. */
async function writeAccountSecrets({ db, file, counts, now, transaction }: ImportRun): Promise<void> {
  const m = db.models;
  const withAccountSecrets = file.configurations.filter((row) => row.account_secrets && Object.keys(row.account_secrets).length);
  if (!withAccountSecrets.length) return;
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

async function writeFlows({ db, file, stored, counts, now, transaction }: ImportRun): Promise<void> {
  const flowRows = file.flows.flatMap((row) => {
    const existing = stored.flows.get(row.id);
    const wanted = { name: row.name, url: row.url ?? null, trigger: row.trigger, triggerUrl: row.trigger_url ?? null };
    if (!existing) counts.flows.created++;
    else if (unchanged(existing, wanted, ["name", "url", "trigger", "triggerUrl"])) return (counts.flows.unchanged++, []);
    else counts.flows.updated++;
    return [{ id: row.id, ...wanted, createdAt: existing?.createdAt ?? now, updatedAt: now }];
  });
  for (const part of chunks(flowRows)) await db.models.EmbedFlow.bulkCreate(part, { transaction, updateOnDuplicate: ["name", "url", "trigger", "triggerUrl", "updatedAt"] });
}

/** The integration fields an import sets; latest-run fields stay as runs made them. */
const INTEGRATION_FIELDS = [
  "name", "flowId", "configurationId", "groupId", "sharingLevel", "activationKey", "embedUserId", "embedAccountId",
  "embedUserName", "embedAccountName", "status", "triggerUrl", "createdAt", "activityAt",
] as const;

/** What an integration row of the file asks for; group and sharing level come from the configuration. */
function wantedIntegration(run: ImportRun, row: Sections["integrations"][number], existing: Integration | undefined) {
  const configuration = run.configurationOf(row.configuration_id)!;
  const createdAt = row.created_at ?? existing?.createdAt ?? run.now;
  return {
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
    activityAt: existing && same(existing.createdAt, createdAt) ? existing.activityAt : latest(existing?.latestRunAt ?? null, createdAt),
  };
}

/** Integrations: a status the import changes is stamped and audited as `by import`. */
async function writeIntegrations(run: ImportRun): Promise<void> {
  const { db, file, stored, counts, now, actor, transaction } = run;
  const statusChanges: Array<{ id: string; groupId: string; status: string }> = [];
  const integrationRows = file.integrations.flatMap((row) => {
    const existing = stored.integrations.get(row.id);
    const wanted = wantedIntegration(run, row, existing);
    if (!existing) counts.integrations.created++;
    else if (unchanged(existing, wanted, INTEGRATION_FIELDS)) return (counts.integrations.unchanged++, []);
    else counts.integrations.updated++;
    const statusChanged = existing ? existing.status !== row.status : row.status === "disabled";
    if (existing && statusChanged) statusChanges.push({ id: row.id, groupId: wanted.groupId, status: row.status });
    return [{
      id: row.id,
      ...wanted,
      embedState: existing?.embedState ?? null,
      statusChangedAt: statusChanged ? now : (existing?.statusChangedAt ?? null),
      statusChangedBy: statusChanged ? actorLabel(actor) : (existing?.statusChangedBy ?? null),
      disabledReason: row.status === "disabled" ? (statusChanged ? "disabled by import" : (existing?.disabledReason ?? null)) : null,
      latestRunId: existing?.latestRunId ?? null,
      latestRunStatus: existing?.latestRunStatus ?? null,
      latestRunAt: existing?.latestRunAt ?? null,
      latestRunError: existing?.latestRunError ?? null,
      lastSuccessAt: existing?.lastSuccessAt ?? null,
      failuresInRow: existing?.failuresInRow ?? 0,
      failingSince: existing?.failingSince ?? null,
      manualRunId: existing?.manualRunId ?? null,
      updatedAt: now,
    }];
  });
  for (const part of chunks(integrationRows)) {
    await db.models.Integration.bulkCreate(part, {
      transaction,
      updateOnDuplicate: [...INTEGRATION_FIELDS, "statusChangedAt", "statusChangedBy", "disabledReason", "updatedAt"],
    });
  }
  for (const change of statusChanges) {
    await recordAudit(db, { actor, action: change.status === "disabled" ? "disable" : "enable", targetId: change.id, groupId: change.groupId, outcome: "ok", detail: "by import", at: now }, transaction);
  }
}

/**
 * An existing flow whose trigger (scheduler or webhook) changed, or an existing integration moved to another flow:
 * their integrations' verdicts are made due, so the next reader recomputes them (new integrations are due already).
 */
async function markHealthDue({ db, file, stored, transaction }: ImportRun): Promise<void> {
  const epoch = new Date(0);
  const movedIntegrations = file.integrations.filter((row) => stored.integrations.has(row.id) && stored.integrations.get(row.id)!.flowId !== row.flow_id).map((row) => row.id);
  const changedFlows = file.flows.filter((row) => stored.flows.has(row.id) && stored.flows.get(row.id)!.trigger !== (row.trigger ?? "scheduler")).map((row) => row.id);
  for (const part of chunks(movedIntegrations)) {
    await db.models.Integration.update({ healthDueAt: epoch }, { where: { id: { [Op.in]: part } }, transaction, silent: true });
  }
  for (const part of chunks(changedFlows)) {
    await db.models.Integration.update({ healthDueAt: epoch }, { where: { flowId: { [Op.in]: part } }, transaction, silent: true });
  }
}

/** Flow runs, oldest first, so each batch only moves the latest run forward. */
async function writeRuns({ db, file, stored, counts, now, transaction }: ImportRun): Promise<void> {
  const runInputs: RunInput[] = file.runs
    .map((row) => ({ id: row.id, integrationId: row.integration_id, status: row.status, trigger: row.trigger, startedAt: row.started_at, finishedAt: row.finished_at ?? null, error: row.error ?? null }))
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  let written = 0;
  for (const part of chunks(runInputs, 1000)) written += (await recordRuns(db, part, transaction, now)).written;
  const newRuns = file.runs.filter((row) => !stored.runs.has(row.id)).length;
  counts.runs = { created: newRuns, updated: Math.max(0, written - newRuns), unchanged: file.runs.length - written };
}

/** The connector auth fields an import sets. */
const AUTH_FIELDS = ["name", "connectorName", "configurationId", "groupId", "sharingLevel", "embedUserId", "embedAccountId", "embedUserName", "proprietary", "createdAt"] as const;

/** Connector auths: unnamed ones get the platform's default name; proprietary defaults to the configuration's connector. */
async function writeConnectorAuths({ db, file, stored, counts, now, timeZone, transaction, configurationOf }: ImportRun): Promise<void> {
  const authRows = file.auths.flatMap((row) => {
    const existing = stored.auths.get(row.id);
    const configuration = configurationOf(row.configuration_id)!;
    const createdAt = row.created_at ?? existing?.createdAt ?? now;
    const wanted = {
      name: row.name?.trim() || defaultConnectorAuthName(row.connector_name, createdAt, timeZone, row.embed_user_name, row.embed_user_id),
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
    if (!existing) counts.connector_auths.created++;
    else if (unchanged(existing, wanted, AUTH_FIELDS)) return (counts.connector_auths.unchanged++, []);
    else counts.connector_auths.updated++;
    return [{ id: row.id, ...wanted, updatedAt: now }];
  });
  for (const part of chunks(authRows)) await db.models.ConnectorAuth.bulkCreate(part, { transaction, updateOnDuplicate: [...AUTH_FIELDS, "updatedAt"] });
}

/** Operators, by lower-cased email; a row without role or name keeps what is stored. New ones join `stored`. */
async function writeOperators({ db, file, stored, counts, now, transaction }: ImportRun): Promise<void> {
  for (const row of file.operators) {
    const existing = stored.operators.get(row.email);
    if (!existing) {
      const created = await db.models.Operator.create({ email: row.email, name: row.name ?? null, role: row.role ?? "member", createdAt: now, updatedAt: now }, { transaction });
      stored.operators.set(row.email, created);
      counts.operators.created++;
      continue;
    }
    const wanted = { name: row.name === undefined ? existing.name : row.name, role: row.role ?? existing.role };
    if (unchanged(existing, wanted, ["name", "role"])) counts.operators.unchanged++;
    else {
      await existing.update({ ...wanted, updatedAt: now }, { transaction });
      counts.operators.updated++;
    }
  }
}

/** Grants: one per subject and scope; importing again replaces the permission. */
async function writeGrants({ db, file, stored, counts, now, actor, transaction }: ImportRun): Promise<void> {
  const m = db.models;
  const subjectKeyOf = (row: Sections["grants"][number]) => (row.operator ? `op:${stored.operators.get(row.operator)!.id}` : `ug:${row.slack_usergroup}`);
  const storedGrants = new Map<string, Grant>(
    (await findIn((where, t) => m.Grant.findAll({ where, transaction: t }), "subject_key", file.grants.map(subjectKeyOf), transaction)).map((g) => [`${g.subjectKey}|${g.scopeKey}`, g]),
  );
  const newGrants = [];
  for (const row of file.grants) {
    const subjectKey = subjectKeyOf(row);
    const scopeKey = row.group_id ?? "*";
    const existing = storedGrants.get(`${subjectKey}|${scopeKey}`);
    if (!existing) {
      counts.grants.created++;
      newGrants.push({
        operatorId: row.operator ? stored.operators.get(row.operator)!.id : null,
        slackUsergroupId: row.slack_usergroup ?? null,
        permission: row.permission,
        groupId: row.group_id,
        subjectKey,
        scopeKey,
        createdBy: actorLabel(actor),
        createdAt: now,
        updatedAt: now,
      });
    } else if (existing.permission === row.permission) counts.grants.unchanged++;
    else {
      await existing.update({ permission: row.permission, updatedAt: now }, { transaction });
      counts.grants.updated++;
    }
  }
  for (const part of chunks(newGrants)) await m.Grant.bulkCreate(part, { transaction });
}

/** Slack links: the explicit mapping wins over the email Slack reports. */
async function writeSlackLinks({ db, file, stored, counts, now, actor, transaction }: ImportRun): Promise<void> {
  for (const row of file.links) {
    const operatorId = stored.operators.get(row.email)!.id;
    const existing = stored.links.get(row.slack_user_id);
    if (!existing) {
      await db.models.SlackLink.create({ slackUserId: row.slack_user_id, operatorId, createdBy: actorLabel(actor), createdAt: now, updatedAt: now }, { transaction });
      counts.slack_links.created++;
    } else if (existing.operatorId === operatorId) counts.slack_links.unchanged++;
    else {
      await existing.update({ operatorId, updatedAt: now }, { transaction });
      counts.slack_links.updated++;
    }
  }
}
