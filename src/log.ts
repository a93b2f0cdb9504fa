import { AsyncLocalStorage } from "node:async_hooks";
import { writeSync } from "node:fs";
import { pino, type Logger } from "pino";

/** Keys whose values never reach a log line, wherever they sit. */
const REDACT = [
  "secret", "*.secret", "token", "*.token", "authorization", "*.authorization", "headers.authorization",
  "jwt", "*.jwt", "password", "*.password", "account_secrets", "*.account_secrets", "accountSecrets", "*.accountSecrets",
];

/**
 * Shapes of credentials that must not leak through free text (error messages, Bolt's own lines):
 * Slack tokens, JWTs, bearer headers.
 */
const CREDENTIAL_PATTERNS = [
  /\bxox[abposr]-[A-Za-z0-9-]+/g,
  /\bxapp-[A-Za-z0-9-]+/g,
  /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
];

/** Secret values known to this process (from the configuration), scrubbed wherever they appear. */
const knownSecrets = new Set<string>();

/** Fields every log line written inside a request or job carries (request id, actor, job). */
export interface LogContext {
  requestId?: string;
  actor?: string;
  job?: string;
  jobId?: string;
  [key: string]: unknown;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `work` with fields added to every log line it writes, however deep (AsyncLocalStorage). */
export function withLogContext<T>(fields: LogContext, work: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, work);
}

/** Adds fields to the current context once they are known (e.g. the actor after it was resolved). */
export function addLogContext(fields: LogContext): void {
  const store = context.getStore();
  if (store) Object.assign(store, fields);
}

/** Removes known secrets and credential shapes from one serialised log line. */
export function scrubSecrets(line: string): string {
  let out = line;
  for (const secret of knownSecrets) out = out.split(secret).join("[redacted]");
  for (const pattern of CREDENTIAL_PATTERNS) out = out.replace(pattern, (match) => (/^(bearer|basic)\s/i.test(match) ? `${match.split(/\s+/)[0]} [redacted]` : "[redacted]"));
  return out;
}

/** Remembers secret values (tokens, signing secrets) so no log line can carry them, whatever their key. */
export function registerSecrets(values: Array<string | undefined>): void {
  // Short values would scrub ordinary words; every real secret is longer.
  for (const value of values) if (value && value.length >= 8) knownSecrets.add(value);
}

/** Where log lines go instead of standard error, when set (the console keeps them out of its prompt). */
let sink: ((line: string) => void) | undefined;

/** Sends every log line, scrubbed, to `write` instead of standard error; no argument restores standard error. */
export function setLogSink(write?: (line: string) => void): void {
  sink = write;
}

/** Writes each line to standard error, scrubbed, synchronously (so nothing is lost at exit). */
const destination = {
  write(line: string): void {
    const scrubbed = scrubSecrets(line);
    if (sink) sink(scrubbed);
    else writeSync(2, scrubbed);
  },
};

function build(level: string): Logger {
  return pino(
    {
      level,
      base: { service: "embedops" },
      redact: { paths: REDACT, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // A copy: pino merges each line's own fields into what mixin returns.
      mixin: () => ({ ...context.getStore() }),
    },
    destination,
  );
}

/** The process logger: structured JSON on stderr, one line per event. */
export let log: Logger = build(process.env.LOG_LEVEL ?? (process.env.VITEST ? "silent" : "info"));

/** Sets the level once the configuration is read. */
export function setLogLevel(level: string): void {
  log = build(level);
}
