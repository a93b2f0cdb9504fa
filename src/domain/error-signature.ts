/**
 * Error signatures: a run's error text with what differs between two copies of one failure (numbers, ids,
 * URLs, e-mail addresses, quoted strings) replaced by placeholders, so one outage reads as one signature.
 */

/** The longest signature kept: longer error texts are cut (after the replacements) to this many characters. */
export const MAX_SIGNATURE_LENGTH = 300;

/** The most error text looked at: a 10 KB stack trace is cut before the replacements, so the work stays bounded. */
const MAX_ERROR_SCAN = 4_000;

/** The placeholders, in the order the replacements run. */
const PLACEHOLDERS = {
  url: "<url>",
  email: "<email>",
  quoted: "<str>",
  uuid: "<uuid>",
  hex: "<hex>",
  id: "<id>",
  number: "<n>",
} as const;

// Order matters: URLs and e-mail addresses first (they hold numbers and hex), then quoted strings (they may
// hold anything), then UUIDs before hex (a UUID is hex with dashes), then words that mix letters and digits,
// and plain numbers last.
const URL_PATTERN = /\b(?:https?|wss?|ftp):\/\/[^\s"'<>()]+/gi;
const EMAIL_PATTERN = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g;
const QUOTED_PATTERN = /"(?:[^"\\\n]|\\.){0,500}"|'(?:[^'\\\n]|\\.){0,500}'|`[^`\n]{0,500}`/g;
const UUID_PATTERN = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
/** 0x-prefixed hex, or a hex run of 8+ characters with a digit and a letter (request ids, hashes, object ids). */
const HEX_PATTERN = /\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi;
/** Words of 6+ characters that mix letters and digits: `req_8f2k1`, `int-00042`, `A1B2C3`, `0abcdef`. */
const MIXED_ID_PATTERN = /\b(?=[a-z_-]*\d)(?=[\d_-]*[a-z])[a-z0-9_-]{6,}\b/gi;
const NUMBER_PATTERN = /[-+]?\d+(?:[.,:]\d+)*/g;
const SPACES = /\s+/g;

/**
 * The signature of an error text: numbers, ids (hex, UUIDs, mixed ids), URLs, e-mail addresses and quoted
 * strings replaced by placeholders, white space collapsed, at most MAX_SIGNATURE_LENGTH characters.
 * Null for no error (or only white space).
 */
export function errorSignature(error: string | null | undefined): string | null {
  if (error === null || error === undefined) return null;
  let text = error.length > MAX_ERROR_SCAN ? error.slice(0, MAX_ERROR_SCAN) : error;
  text = text
    .replace(URL_PATTERN, PLACEHOLDERS.url)
    .replace(EMAIL_PATTERN, PLACEHOLDERS.email)
    .replace(QUOTED_PATTERN, PLACEHOLDERS.quoted)
    .replace(UUID_PATTERN, PLACEHOLDERS.uuid)
    .replace(HEX_PATTERN, PLACEHOLDERS.hex)
    .replace(MIXED_ID_PATTERN, PLACEHOLDERS.id)
    .replace(NUMBER_PATTERN, PLACEHOLDERS.number)
    .replace(SPACES, " ")
    .trim();
  if (text === "") return null;
  return text.length > MAX_SIGNATURE_LENGTH ? text.slice(0, MAX_SIGNATURE_LENGTH) : text;
}

/** The signature of a failed run that says nothing: copies failing silently still group together. */
const NO_ERROR_SIGNATURE = "(no error text)";

/** The signature an integration keeps for its latest run: null unless that run failed. */
export function runErrorSignature(status: string | null, error: string | null | undefined): string | null {
  if (status !== "error") return null;
  return errorSignature(error) ?? NO_ERROR_SIGNATURE;
}
