import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import cron from "node-cron";
import { z } from "zod";

/** A configuration problem, naming the variable and what it accepts. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Everything embedops reads from the environment, parsed and validated. */
export interface Config {
  /** SLACK_BOT_TOKEN: the bot token (xoxb-…); with the signing secret it selects HTTP mode. */
  slackBotToken?: string;
  /** SLACK_SIGNING_SECRET: verifies requests Slack sends to POST /slack/events. */
  slackSigningSecret?: string;
  /** SLACK_APP_TOKEN: the app-level token (xapp-…); selects Socket Mode. */
  slackAppToken?: string;
  /** SLACK_API_URL: base URL of the Slack Web API (a proxy or a local test double). */
  slackApiUrl?: string;
  /** SLASH_COMMAND: the slash command's name, with its leading slash. */
  slashCommand: string;
  /** PORT: the HTTP server's port. */
  port: number;
  /** DATABASE_URL: sqlite:PATH, sqlite::memory: or postgres://… */
  databaseUrl: string;
  /** ADMIN_EMAILS: operators made admins at start-up (lower-cased). */
  adminEmails: string[];
  /** HOUSEKEEPING_CHANNEL: channel id for the housekeeping report. */
  housekeepingChannel?: string;
  /** ALERTS_CHANNEL: channel id for failure alerts. */
  alertsChannel?: string;
  /** HOUSEKEEPING_CRON: when the housekeeping report runs. */
  housekeepingCron: string;
  /** ALERTS_CRON: how often failure alerts are checked. */
  alertsCron: string;
  /** RETENTION_CRON: when old flow runs are purged. */
  retentionCron: string;
  /** TZ: time zone of the schedules and of dates shown. */
  timeZone: string;
  /** STALE_AFTER_DAYS: days without a run after which an enabled integration is stale. */
  staleAfterDays: number;
  /** FAILING_AFTER_ERRORS: this many failed runs in a row make an integration failing. */
  failingAfterErrors: number;
  /** FAILING_ERROR_RATE: share of failed runs (of at least 20 in 7 days) that makes it failing. */
  failingErrorRate: number;
  /** OVERDUE_FACTOR: a scheduled integration is overdue after more than this many times its median gap between runs. */
  overdueFactor: number;
  /** INCIDENT_MIN_AFFECTED: this many failing integrations of one Embed Flow with one error signature open an incident. */
  incidentMinAffected: number;
  /** INCIDENT_WINDOW_MINUTES: their failure streaks began within this many minutes of one another. */
  incidentWindowMinutes: number;
  /** AUTO_DISABLE_AFTER_DAYS: opt-in grace after which reported findings are disabled; undefined is off. */
  autoDisableAfterDays?: number;
  /** ALLOWED_CHANNELS: channels where commands that change something are accepted; undefined is any. */
  allowedChannels?: string[];
  /** RUN_RETENTION_DAYS: flow runs older than this are purged. */
  runRetentionDays: number;
  /** PRICE_PER_RUN: estimated price of one flow run, for reports. */
  pricePerRun: number;
  /** CURRENCY: ISO 4217 code of PRICE_PER_RUN. */
  currency: string;
  /** RUNS_API_SECRET: HS256 secret of the JWTs that POST /api/runs accepts. */
  runsApiSecret?: string;
  /** RUNNER_SIGNING_SECRET: HS256 secret the bot signs its run requests with. */
  runnerSigningSecret?: string;
  /** RUNNER_TIMEOUT_MS: time limit of one run request. */
  runnerTimeoutMs: number;
  /** BULK_CONCURRENCY: run requests one bulk action keeps in flight. */
  bulkConcurrency: number;
  /** APPROVAL_ABOVE: opt-in; bulk actions over this many integrations need a second operator's approval. */
  approvalAbove?: number;
  /** RUN_INTERRUPTED_GRACE_MS: past RUNNER_TIMEOUT_MS plus this, a manual run the engine never answered was interrupted. */
  runInterruptedGraceMs: number;
  /** JOB_LEASE_TTL_MS: a firing's lease lasts this long unless its holder renews it; then another replica takes it over. */
  jobLeaseTtlMs: number;
  /** OUTBOX_SPACING_MS: the outbox sender keeps Slack writes to one channel at least this far apart. */
  outboxSpacingMs: number;
  /** LOG_LEVEL: pino level. */
  logLevel: (typeof LOG_LEVELS)[number];
  /** NODE_ENV=production: refuse to fall back to the local console. */
  production: boolean;
}

type Env = Record<string, string | undefined>;

const positiveInt = z.coerce.number().int().positive();
const nonNegativeNumber = z.coerce.number().finite().nonnegative();

function cronExpression(variable: string) {
  return z.string().refine((value) => cron.validate(value), {
    message: `${variable} is not a valid cron expression (five or six fields, e.g. "0 9 * * 1-5")`,
  });
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function list(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Reads one variable; an empty value counts as unset. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function parse<T>(env: Env, name: string, schema: z.ZodType<T>, fallback: string | undefined, accepts: string): T {
  const raw = read(env, name) ?? fallback;
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    // Our own refinements explain themselves; zod's generic wording gives way to what the variable accepts.
    const detail = issue?.code === "custom" ? issue.message : `accepts ${accepts}`;
    throw new ConfigError(name, `${JSON.stringify(raw)} is not valid: ${detail}`);
  }
  return result.data;
}

function optional<T>(env: Env, name: string, schema: z.ZodType<T>, accepts: string): T | undefined {
  return read(env, name) === undefined ? undefined : parse(env, name, schema, undefined, accepts);
}

/** Parses and validates every variable of the contract; throws ConfigError naming the first bad one. */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = parse(
    env,
    "DATABASE_URL",
    z.string().regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/),
    "sqlite:data/embedops.sqlite",
    "sqlite:PATH, sqlite::memory: or postgres://…",
  );
  const timeZone = parse(env, "TZ", z.string().refine(isTimeZone, { message: "accepts an IANA time zone such as UTC or Europe/Berlin" }), "UTC", "an IANA time zone such as UTC or Europe/Berlin");
  const slackApiUrl = optional(env, "SLACK_API_URL", z.string().url(), "an http(s) URL");
  return {
    slackBotToken: read(env, "SLACK_BOT_TOKEN"),
    slackSigningSecret: read(env, "SLACK_SIGNING_SECRET"),
    slackAppToken: read(env, "SLACK_APP_TOKEN"),
    slackApiUrl: slackApiUrl && (slackApiUrl.endsWith("/") ? slackApiUrl : `${slackApiUrl}/`),
    slashCommand: parse(env, "SLASH_COMMAND", z.string().regex(/^\/[a-z0-9_-]+$/), "/integrations", "a slash command such as /integrations"),
    port: parse(env, "PORT", z.coerce.number().int().min(0).max(65535), "3000", "a port number from 0 to 65535"),
    databaseUrl,
    adminEmails: list(read(env, "ADMIN_EMAILS") ?? "").map((email) => email.toLowerCase()),
    housekeepingChannel: read(env, "HOUSEKEEPING_CHANNEL"),
    alertsChannel: read(env, "ALERTS_CHANNEL"),
    housekeepingCron: parse(env, "HOUSEKEEPING_CRON", cronExpression("HOUSEKEEPING_CRON"), "0 9 * * 1-5", "a cron expression"),
    alertsCron: parse(env, "ALERTS_CRON", cronExpression("ALERTS_CRON"), "* * * * *", "a cron expression"),
    retentionCron: parse(env, "RETENTION_CRON", cronExpression("RETENTION_CRON"), "30 3 * * *", "a cron expression"),
    timeZone,
    staleAfterDays: parse(env, "STALE_AFTER_DAYS", positiveInt, "30", "a whole number of days above 0"),
    failingAfterErrors: parse(env, "FAILING_AFTER_ERRORS", positiveInt, "3", "a whole number above 0"),
    failingErrorRate: parse(env, "FAILING_ERROR_RATE", z.coerce.number().gt(0).max(1), "0.95", "a share above 0 and at most 1, e.g. 0.95"),
    overdueFactor: parse(env, "OVERDUE_FACTOR", z.coerce.number().gt(1).max(1000), "3", "a number above 1, e.g. 3"),
    incidentMinAffected: parse(env, "INCIDENT_MIN_AFFECTED", z.coerce.number().int().min(2), "3", "a whole number of integrations, at least 2"),
    incidentWindowMinutes: parse(env, "INCIDENT_WINDOW_MINUTES", positiveInt, "60", "a whole number of minutes above 0"),
    autoDisableAfterDays: optional(env, "AUTO_DISABLE_AFTER_DAYS", positiveInt, "a whole number of days above 0 (unset: off)"),
    allowedChannels: read(env, "ALLOWED_CHANNELS") === undefined ? undefined : list(read(env, "ALLOWED_CHANNELS") ?? ""),
    runRetentionDays: parse(env, "RUN_RETENTION_DAYS", positiveInt, "90", "a whole number of days above 0"),
    pricePerRun: parse(env, "PRICE_PER_RUN", nonNegativeNumber, "0", "a number of at least 0, e.g. 0.002"),
    currency: parse(env, "CURRENCY", z.string().regex(/^[A-Z]{3}$/), "EUR", "a three-letter ISO 4217 code such as EUR"),
    runsApiSecret: read(env, "RUNS_API_SECRET"),
    runnerSigningSecret: read(env, "RUNNER_SIGNING_SECRET"),
    runnerTimeoutMs: parse(env, "RUNNER_TIMEOUT_MS", positiveInt, "10000", "a whole number of milliseconds above 0"),
    bulkConcurrency: parse(env, "BULK_CONCURRENCY", z.coerce.number().int().min(1).max(100), "4", "a whole number from 1 to 100"),
    approvalAbove: optional(env, "APPROVAL_ABOVE", z.coerce.number().int().min(0), "a whole number of integrations (unset: off)"),
    runInterruptedGraceMs: parse(env, "RUN_INTERRUPTED_GRACE_MS", positiveInt, "60000", "a whole number of milliseconds above 0"),
    jobLeaseTtlMs: parse(env, "JOB_LEASE_TTL_MS", z.coerce.number().int().min(300), "30000", "a whole number of milliseconds of at least 300"),
    outboxSpacingMs: parse(env, "OUTBOX_SPACING_MS", z.coerce.number().int().min(0), "1000", "a whole number of milliseconds of at least 0"),
    logLevel: parse(env, "LOG_LEVEL", z.enum(LOG_LEVELS), "info", LOG_LEVELS.join(", ")),
    production: read(env, "NODE_ENV") === "production",
  };
}

/** Which way the bot talks to Slack, decided by the credentials present. */
type SlackMode = "socket" | "http" | "console";

/** Socket Mode when an app token is set, HTTP mode with bot token and signing secret, else the console. */
export function slackMode(config: Config): SlackMode {
  if (config.slackAppToken && config.slackBotToken) return "socket";
  if (config.slackBotToken && config.slackSigningSecret) return "http";
  return "console";
}

/** The variables a production start-up lacks, or an empty list. */
export function missingSlackCredentials(config: Config): string[] {
  if (slackMode(config) !== "console") return [];
  const missing: string[] = [];
  if (!config.slackBotToken) missing.push("SLACK_BOT_TOKEN");
  if (!config.slackSigningSecret && !config.slackAppToken) missing.push("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN)");
  return missing;
}

/**
 * The Slack mode `npm start` runs in, strictly: Socket Mode (bot and app token), HTTP mode (bot token and signing
 * secret), or the console when no Slack variable is set at all. Any other mix throws a ConfigError naming what is missing.
 */
export function startMode(config: Config): SlackMode {
  const mode = slackMode(config);
  const anySlack = Boolean(config.slackBotToken || config.slackSigningSecret || config.slackAppToken);
  if (mode !== "console" || !anySlack) return mode;
  const missing = config.slackBotToken ? "SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)" : "SLACK_BOT_TOKEN";
  const set = [config.slackBotToken && "SLACK_BOT_TOKEN", config.slackSigningSecret && "SLACK_SIGNING_SECRET", config.slackAppToken && "SLACK_APP_TOKEN"].filter(Boolean);
  throw new ConfigError(missing, `missing; ${set.join(" and ")} alone ${set.length === 1 ? "is" : "are"} not enough (HTTP mode needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; unset all three for the local console)`);
}

/** A line of a `.env` file that opens a value: NAME=…, optionally after `export `. */
const DOTENV_ASSIGNMENT = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=(.*)$/;

/**
 * Reads the `.env` file at `path` (the format of .env.example) under `env`: a variable already in `env` wins.
 * Returns `env` unchanged when there is no file; a line that is not NAME=value throws a ConfigError naming it.
 */
export function withDotEnv(env: Env, path = ".env"): Env {
  if (!existsSync(path)) return env;
  const text = readFileSync(path, "utf8");
  const lines = text.split(/\r?\n/);
  let openQuote: string | undefined;
  lines.forEach((line, index) => {
    if (openQuote) {
      // Inside a quoted value that spans lines: it ends on the line holding the closing quote.
      if (line.includes(openQuote)) openQuote = undefined;
      return;
    }
    if (line.trim() === "" || line.trim().startsWith("#")) return;
    const match = DOTENV_ASSIGNMENT.exec(line);
    if (!match) throw new ConfigError(path, `line ${index + 1} is not NAME=value: ${JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line)}`);
    const value = match[1]!.trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === "`") && !value.slice(1).includes(quote)) openQuote = quote;
  });
  if (openQuote) throw new ConfigError(path, `a value opened with ${openQuote} is never closed`);
  const fromFile = parseEnv(text);
  const merged: Env = { ...env };
  for (const [name, value] of Object.entries(fromFile)) if (merged[name] === undefined) merged[name] = value;
  return merged;
}
