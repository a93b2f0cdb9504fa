/**
 * Writes a path of keys and indexes as JSON would address it, for error messages: `runs[3].integration_id`,
 * `configurations[0].account_secrets.acc_9`, `labels["two words"]`; the empty path is "".
 */
export function jsonPath(segments: ReadonlyArray<PropertyKey>): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else {
      const key = String(segment);
      path += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${path ? "." : ""}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return path;
}
