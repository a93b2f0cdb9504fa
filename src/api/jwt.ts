import type { IncomingHttpHeaders } from "node:http";
import { decodeJwt, errors as joseErrors, type JWTPayload } from "jose";
import { findConfiguration, signingSecret } from "../data/configurations.ts";
import type { Database } from "../data/database.ts";
import type { EmbedConfigurationRecord } from "../data/records.ts";
import { JWT_ALGORITHM, verifyJwt } from "../domain/jwt.ts";
import { EmbedopsError, ErrorCode } from "../errors.ts";

/** How far clocks may disagree, in seconds, when checking exp, nbf and iat. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** Codes a refused token answers with (401, also when the API has no secret configured). */
type TokenErrorCode =
  | "missing_token"
  | "invalid_token"
  | "token_expired"
  | "token_not_yet_valid"
  | "missing_claim"
  | "invalid_claim"
  | "unknown_configuration";

/** A refused token: 401 with a code; the message never repeats the token. */
function tokenError(apiCode: TokenErrorCode, message: string): EmbedopsError {
  return new EmbedopsError(ErrorCode.Unauthorized, message, { apiCode });
}

/** The end user an embed JWT speaks for, with the optional claims the embedding app sent. */
export interface EndUser {
  userId: string;
  accountId: string;
  userName: string | null;
  accountName: string | null;
  /** The embed_state claim, any JSON value; undefined when the token has none. */
  state: unknown;
}

/** A verified embed JWT: the configuration it was checked against and who it speaks for. */
interface VerifiedEndUser {
  configuration: EmbedConfigurationRecord;
  endUser: EndUser;
  /** True when an account secret (not the configuration's secret) verified it. */
  viaAccountSecret: boolean;
}

/** Takes the JWT out of `Authorization: Bearer …`. */
function bearerToken(headers: IncomingHttpHeaders): string {
  const header = headers.authorization;
  if (!header) throw tokenError("missing_token", "The request has no Authorization header; send `Authorization: Bearer <JWT>`.");
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) throw tokenError("invalid_token", "The Authorization header is not `Bearer <JWT>`.");
  return match[1]!;
}

/** Turns jose's failure into a coded 401 that names the problem and never the token. */
function refusal(error: unknown): EmbedopsError {
  if (error instanceof EmbedopsError) return error;
  if (error instanceof joseErrors.JWTExpired) return tokenError("token_expired", "The token has expired (exp is in the past).");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === "missing") return tokenError("missing_claim", `The token has no "${error.claim}" claim; it is required.`);
    if ((error.claim === "nbf" || error.claim === "iat") && error.reason === "check_failed") {
      return tokenError("token_not_yet_valid", `The token is not valid yet (${error.claim} is in the future).`);
    }
    return tokenError("invalid_claim", `The token's "${error.claim}" claim is not valid.`);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return tokenError("invalid_token", `The token must be signed with ${JWT_ALGORITHM}; other algorithms, and none, are refused.`);
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return tokenError("invalid_token", "The token's signature does not verify.");
  return tokenError("invalid_token", "The token is not a well-formed signed JWT.");
}

/**
 * Verifies a JWT with one secret: algorithm pinned, exp (and the other required claims) present,
 * exp/nbf checked with the clock tolerance, and an iat in the future refused too.
 */
async function verifyWith(token: string, secret: string, now: Date, requiredClaims: string[]): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    payload = await verifyJwt(token, secret, { now, requiredClaims, clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS });
  } catch (error) {
    throw refusal(error);
  }
  // jose checks iat only against a maximum age; a token issued in the future is not valid yet.
  if (payload.iat !== undefined && payload.iat > Math.floor(now.getTime() / 1000) + CLOCK_TOLERANCE_SECONDS) {
    throw tokenError("token_not_yet_valid", "The token is not valid yet (iat is in the future).");
  }
  return payload;
}

function requiredString(payload: JWTPayload, claim: string): string {
  const value = payload[claim];
  if (value === undefined || value === null) throw tokenError("missing_claim", `The token has no "${claim}" claim; it is required.`);
  if (typeof value !== "string" || value.trim() === "") throw tokenError("invalid_claim", `The token's "${claim}" claim must be a non-empty string.`);
  if (value.length > 255) throw tokenError("invalid_claim", `The token's "${claim}" claim is longer than 255 characters.`);
  return value;
}

function optionalString(payload: JWTPayload, claim: string): string | null {
  const value = payload[claim];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw tokenError("invalid_claim", `The token's "${claim}" claim must be a string.`);
  const trimmed = value.trim();
  if (trimmed.length > 255) throw tokenError("invalid_claim", `The token's "${claim}" claim is longer than 255 characters.`);
  return trimmed === "" ? null : trimmed;
}

/**
 * Verifies an end user's JWT for one configuration: signed with the account secret of the token's
 * embed_account_id where the configuration has one (and then with that secret only), else with the
 * configuration's secret; exp, iat, embed_user_id and embed_account_id required.
 */
export async function verifyEndUserToken(db: Database, configurationId: string, headers: IncomingHttpHeaders, now: Date): Promise<VerifiedEndUser> {
  const token = bearerToken(headers);
  const configuration = await findConfiguration(db, configurationId);
  if (!configuration) throw tokenError("unknown_configuration", `No embed configuration \`${configurationId}\`.`);
  // The unverified payload is read only to choose the secret; nothing in it is trusted before verification.
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    throw tokenError("invalid_token", "The token is not a well-formed signed JWT.");
  }
  const claimedAccount = unverified.embed_account_id;
  const signing =
    typeof claimedAccount === "string" && claimedAccount !== "" ? await signingSecret(db, configuration, claimedAccount) : { secret: configuration.secret, accountSecret: false };
  const payload = await verifyWith(token, signing.secret, now, ["exp", "iat"]);
  const endUser: EndUser = {
    userId: requiredString(payload, "embed_user_id"),
    accountId: requiredString(payload, "embed_account_id"),
    userName: optionalString(payload, "embed_user_name"),
    accountName: optionalString(payload, "embed_account_name"),
    state: payload.embed_state,
  };
  return { configuration, endUser, viaAccountSecret: signing.accountSecret };
}

/** Verifies the flow engine's JWT for POST /api/runs: signed with RUNS_API_SECRET, exp required. */
export async function verifyRunsToken(secret: string, headers: IncomingHttpHeaders, now: Date): Promise<JWTPayload> {
  return verifyWith(bearerToken(headers), secret, now, ["exp"]);
}
