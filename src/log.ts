import { AsyncLocalStorage } from "node:async_hooks";
import { pino, type DestinationStream, type Logger } from "pino";

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
interface LogContext {
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

/** The longest string value a log line carries; longer ones are cut, with a marker saying how much went. */
export const MAX_LOG_STRING = 2_000;
/** How deep, how many keys and how many items of a logged value are kept. */
const MAX_DEPTH = 5;
const MAX_KEYS = 40;
const MAX_ITEMS = 20;
/** Error properties never logged whole: Sequelize carries the statement, its values and the driver's error there. */
const SQL_FIELDS = new Set(["sql", "parameters", "original", "parent"]);

/** Cuts a string to `max` characters, saying how many were cut (`…[cut 248113 chars]`). */
export function cutString(value: string, max = MAX_LOG_STRING): string {
  return value.length <= max ? value : `${value.slice(0, max)}…[cut ${value.length - max} chars]`;
}

/** An error as a bounded plain object: its type, message, code and stack, and never its SQL or parameters in full. */
function boundError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.constructor?.name ?? "Error", message: cutString(String(error.message)) };
  if (error.stack) out.stack = cutString(error.stack);
  const fields = error as unknown as Record<string, unknown>;
  // A statement's first words say which query failed; the rest may hold user values and can be huge.
  if (typeof fields.sql === "string") out.sql = cutString(fields.sql, 200);
  if (Array.isArray(fields.parameters)) out.parameterCount = fields.parameters.length;
  else if (fields.parameters && typeof fields.parameters === "object") out.parameterCount = Object.keys(fields.parameters).length;
  const driver = fields.original ?? fields.parent;
  if (driver instanceof Error && driver !== error) {
    out.original = { message: cutString(String(driver.message)), code: (driver as { code?: unknown }).code };
  }
  let kept = 0;
  for (const key of Object.keys(fields)) {
    if (SQL_FIELDS.has(key) || key === "message" || key === "stack" || key in out) continue;
    if (++kept > MAX_KEYS) break;
    out[key] = bound(fields[key], depth + 1, seen);
  }
  if (error.cause !== undefined) out.cause = bound(error.cause, depth + 1, seen);
  return out;
}

/** A copy of a value fit for one log line: strings cut, errors reduced, depth, keys and items capped, cycles broken. */
export function bound(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return cutString(value);
  if (value === null || typeof value !== "object") return typeof value === "function" || typeof value === "symbol" ? String(value) : value;
  if (value instanceof Date) return value;
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  seen.add(value);
  if (value instanceof Error) return boundError(value, depth, seen);
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => bound(item, depth + 1, seen));
    if (value.length > MAX_ITEMS) items.push(`…[cut ${value.length - MAX_ITEMS} items]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (const key of keys.slice(0, MAX_KEYS)) out[key] = bound((value as Record<string, unknown>)[key], depth + 1, seen);
  if (keys.length > MAX_KEYS) out["…"] = `[cut ${keys.length - MAX_KEYS} keys]`;
  return out;
}

/** What the standard error buffer may hold while its reader is slow; beyond it, lines are dropped, not the process. */
const MAX_BUFFERED = 16 * 1024 * 1024;
/** How long the exit flush waits for a stalled reader before it gives up on the last lines. */
const EXIT_FLUSH_MS = 2_000;
let exitDeadline: number | undefined;

/**
 * Standard error through pino's asynchronous destination (sonic-boom): writes never block the event loop,
 * a full pipe is retried later (EAGAIN), partial writes are completed, and nothing it does can throw into a caller.
 */
const stderr = pino.destination({
  dest: 2,
  sync: false,
  maxLength: MAX_BUFFERED,
  // While running, a full pipe is simply retried; at exit, only until the flush deadline.
  retryEAGAIN: () => exitDeadline === undefined || Date.now() < exitDeadline,
});
// An error of the stream (a closed pipe, EPIPE) drops output; it never becomes an uncaught exception.
stderr.on("error", () => undefined);

/** Writes whatever is still buffered before the process exits, giving up after a short deadline. */
function flushLogSync(): void {
  exitDeadline = Date.now() + EXIT_FLUSH_MS;
  try {
    stderr.flushSync();
  } catch {
    // A reader that stays stalled past the deadline loses the last lines; the exit goes on.
  }
}
process.once("exit", flushLogSync);

/** Each line scrubbed of secrets, then handed to the sink or the asynchronous destination; a failure drops the line. */
const destination: DestinationStream = {
  write(line: string): void {
    try {
      const scrubbed = scrubSecrets(line);
      if (sink) sink(scrubbed);
      else stderr.write(scrubbed);
    } catch {
      // Logging never takes the process down.
    }
  },
};

/** A logger with the process logger's options (redaction, bounds, scrubbing) writing to `dest`: for tests and tools. */
export function buildLogger(level: string, dest: DestinationStream = destination): Logger {
  return pino(
    {
      level,
      base: { service: "embedops" },
      redact: { paths: REDACT, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // A copy: pino merges each line's own fields into what mixin returns.
      mixin: () => ({ ...context.getStore() }),
      formatters: { log: (object) => bound(object) as Record<string, unknown> },
      // Errors are already reduced by `bound`; pino's own serializer would rename them.
      serializers: { err: (value: unknown) => value },
      hooks: {
        // The message (Bolt's lines join whole errors into it) is bounded like every field; a failure drops the line.
        logMethod(args, method) {
          try {
            const bounded = args.map((arg) => (typeof arg === "string" ? cutString(arg) : arg)) as Parameters<typeof method>;
            // An error logged without a message gives its own message as the line's: bounded too.
            if (bounded.length === 1 && bounded[0] instanceof Error) bounded.push(cutString(String(bounded[0].message)) as never);
            method.apply(this, bounded);
          } catch {
            // Logging never takes the process down.
          }
        },
      },
    },
    dest === destination ? destination : { write: (line: string) => dest.write(scrubSecrets(line)) },
  );
}

/** The process logger: structured JSON on stderr, one line per event. */
export let log: Logger = buildLogger(process.env.LOG_LEVEL ?? (process.env.VITEST ? "silent" : "info"));

/** Sets the level once the configuration is read. */
export function setLogLevel(level: string): void {
  log = buildLogger(level);
}
