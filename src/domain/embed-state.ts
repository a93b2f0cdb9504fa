/**
 * The embed_state claim is any JSON value, stored as its JSON text. Text that does not parse (embedops never
 * writes such text) is handed on as the string it is, so nothing stored is dropped; no stored state is null.
 */
export function parseEmbedState(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The JSON text an embed_state claim is stored as; undefined (no claim) stays undefined. */
export function embedStateText(state: unknown): string | undefined {
  return state === undefined ? undefined : JSON.stringify(state);
}
