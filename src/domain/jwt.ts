import { jwtVerify, SignJWT, type JWTPayload } from "jose";

/** The one algorithm embedops signs with and accepts: `none` and every other algorithm are refused. */
export const JWT_ALGORITHM = "HS256";

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs a JWT with {@link JWT_ALGORITHM}, issued at `now`, expiring `expiresInSeconds` later, with `jti` when given. */
export async function signJwt(
  secret: string,
  claims: Record<string, unknown>,
  options: { now: Date; expiresInSeconds: number; jti?: string },
): Promise<string> {
  const issuedAt = Math.floor(options.now.getTime() / 1000);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: JWT_ALGORITHM, typ: "JWT" });
  if (options.jti !== undefined) jwt.setJti(options.jti);
  return jwt.setIssuedAt(issuedAt).setExpirationTime(issuedAt + options.expiresInSeconds).sign(key(secret));
}

/** Verifies a JWT signed with {@link JWT_ALGORITHM} only; throws jose's own errors for the caller to word. */
export async function verifyJwt(
  token: string,
  secret: string,
  options: { now: Date; requiredClaims: string[]; clockToleranceSeconds: number },
): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, key(secret), {
    algorithms: [JWT_ALGORITHM],
    requiredClaims: options.requiredClaims,
    clockTolerance: options.clockToleranceSeconds,
    currentDate: options.now,
  });
  return payload;
}
