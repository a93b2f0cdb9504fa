import { SignJWT } from "jose";

/** Options for a hand-made test JWT: any claim may be dropped or bent. */
interface TestTokenOptions {
  secret: string;
  /** Seconds since the epoch that the token counts as "now". */
  now: number;
  claims?: Record<string, unknown>;
  /** Claims left out of the token (e.g. "exp", "embed_user_id"). */
  omit?: string[];
  alg?: "HS256" | "HS384" | "HS512";
  exp?: number;
  iat?: number;
  nbf?: number;
}

/** Signs a JWT the way an embedding app or flow engine would, with every knob a test needs to break it. */
export async function testToken(options: TestTokenOptions): Promise<string> {
  const payload: Record<string, unknown> = {
    iat: options.iat ?? options.now,
    exp: options.exp ?? options.now + 600,
    ...(options.nbf !== undefined ? { nbf: options.nbf } : {}),
    ...options.claims,
  };
  for (const claim of options.omit ?? []) delete payload[claim];
  return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" }).sign(new TextEncoder().encode(options.secret));
}

/** An unsecured JWT (`alg: none`) carrying the claims: what a forger sends. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

/** POSTs JSON with an optional bearer token; answers status and parsed body. */
export async function postJson(url: string, body: unknown, token?: string, raw?: string): Promise<{ status: number; body: Record<string, unknown> & { error?: string; message?: string }; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
}
