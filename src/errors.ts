/** Every code an embedops error can carry; transports map them to answers and HTTP statuses. */
export const ErrorCode = {
  BadInput: "bad_input",
  NotFound: "not_found",
  Denied: "denied",
  Conflict: "conflict",
  Unauthorized: "unauthorized",
  Upstream: "upstream_error",
  Internal: "internal_error",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error meant for the person or program that asked: its message is safe to show. */
export class EmbedopsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "EmbedopsError";
  }
}

/** Bad input: the message says what was wrong and what is accepted. */
export function badInput(message: string, details?: Record<string, unknown>): EmbedopsError {
  return new EmbedopsError(ErrorCode.BadInput, message, details);
}

/** A `Next page` link that was tampered with, or belongs to another query: the one answer for all of them. */
export function invalidPageLink(): EmbedopsError {
  return badInput("This page link is no longer valid: run the command again without `after:`.");
}

/** Something named by id does not exist (or is not visible to the caller). */
export function notFound(message: string): EmbedopsError {
  return new EmbedopsError(ErrorCode.NotFound, message);
}

/** Wraps anything thrown into an EmbedopsError, hiding the text of unexpected errors. */
export function asEmbedopsError(error: unknown): EmbedopsError {
  if (error instanceof EmbedopsError) return error;
  return new EmbedopsError(ErrorCode.Internal, "Something went wrong on our side; the error is in the bot's log.");
}
