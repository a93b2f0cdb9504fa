import { describe, expect, it } from "vitest";
import { registerSecrets, scrubSecrets } from "../../src/log.ts";

describe("scrubSecrets", () => {
  it("removes Slack tokens, JWTs and bearer credentials from any text", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJlbWJlZF91c2VyX2lkIjoidV8xIn0.c2lnbmF0dXJlLWJ5dGVz";
    const line = JSON.stringify({
      msg: `call failed with xoxb-123-456-abcDEF and xapp-1-A0-123-abc; token ${jwt}`,
      err: { message: "Authorization: Bearer abc.def.ghi was refused" },
    });
    const out = scrubSecrets(line);
    expect(out).not.toContain("xoxb-123");
    expect(out).not.toContain("xapp-1");
    expect(out).not.toContain(jwt);
    expect(out).not.toContain("abc.def.ghi");
    expect(out).toContain("Bearer [redacted]");
    expect(JSON.parse(out)).toBeTruthy();
  });

  it("removes the configured secrets wherever they appear", () => {
    registerSecrets(["a-signing-secret-value-42", undefined, "short"]);
    expect(scrubSecrets('{"msg":"signature check with a-signing-secret-value-42 failed"}')).toBe('{"msg":"signature check with [redacted] failed"}');
    // Values too short to be secrets are not scrubbed, or every word would be.
    expect(scrubSecrets('{"msg":"short"}')).toBe('{"msg":"short"}');
  });
});
