import { pino, type Logger } from "pino";

/** Keys whose values never reach a log line, wherever they sit. */
const REDACT = [
  "secret", "*.secret", "token", "*.token", "authorization", "*.authorization", "headers.authorization",
  "jwt", "*.jwt", "password", "*.password", "account_secrets", "*.account_secrets", "accountSecrets", "*.accountSecrets",
];

function build(level: string): Logger {
  return pino({
    level,
    base: { service: "embedops" },
    redact: { paths: REDACT, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  }, pino.destination({ dest: 2, sync: true }));
}

/** The process logger: structured JSON on stderr, one line per event. */
export let log: Logger = build(process.env.LOG_LEVEL ?? (process.env.VITEST ? "silent" : "info"));

/** Sets the level once the configuration is read. */
export function setLogLevel(level: string): void {
  log = build(level);
}
