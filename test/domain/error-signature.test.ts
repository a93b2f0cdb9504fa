import { describe, expect, it } from "vitest";
import { errorSignature, MAX_SIGNATURE_LENGTH } from "../../src/domain/error-signature.ts";

describe("errorSignature", () => {
  it("is null for no error and for white space only", () => {
    expect(errorSignature(null)).toBeNull();
    expect(errorSignature(undefined)).toBeNull();
    expect(errorSignature("  \n\t ")).toBeNull();
  });

  it("replaces numbers, keeping the words around them", () => {
    expect(errorSignature("401 from HubSpot")).toBe("<n> from HubSpot");
    expect(errorSignature("timed out after 12.5 s (attempt 3 of 5)")).toBe("timed out after <n> s (attempt <n> of <n>)");
    expect(errorSignature("401 from HubSpot")).toBe(errorSignature("403 from HubSpot"));
  });

  it("replaces UUIDs, hex ids and ids mixing letters and digits", () => {
    expect(errorSignature("record 123e4567-e89b-12d3-a456-426614174000 not found")).toBe("record <uuid> not found");
    expect(errorSignature("object 5f3a9c0d1e2b not found")).toBe("object <hex> not found");
    expect(errorSignature("segfault at 0xDEADBEEF")).toBe("segfault at <hex>");
    expect(errorSignature("request req_8f2k1 was refused")).toBe("request <id> was refused");
    expect(errorSignature("request req_8f2k1 was refused")).toBe(errorSignature("request req_a93kz2 was refused"));
    // One digit is enough: random ids sometimes hold only one.
    expect(errorSignature("request req_0abcdez was refused")).toBe("request <id> was refused");
    expect(errorSignature("OAuth2 token expired")).toBe("<id> token expired");
    // Short words keep their letters.
    expect(errorSignature("HTTP2 stream reset by s3")).toBe("HTTP<n> stream reset by s<n>");
    // Plain words of hex letters are words.
    expect(errorSignature("deadbeef decade facade")).toBe("deadbeef decade facade");
  });

  it("replaces URLs with their query strings", () => {
    expect(errorSignature("GET https://api.hubapi.com/crm/v3/objects/42?limit=100&after=x failed")).toBe("GET <url> failed");
    expect(errorSignature("cannot reach http://10.0.0.7:8080/")).toBe("cannot reach <url>");
  });

  it("replaces e-mail addresses", () => {
    expect(errorSignature("user jane.doe+crm@acme.example.com has no licence")).toBe("user <email> has no licence");
  });

  it("replaces quoted strings of either quote", () => {
    expect(errorSignature(`field "Company Name" is required`)).toBe("field <str> is required");
    expect(errorSignature("unknown property 'lead_score_7'")).toBe("unknown property <str>");
    expect(errorSignature(`invalid value \`abc\` and "escaped \\" quote"`)).toBe("invalid value <str> and <str>");
  });

  it("collapses white space", () => {
    expect(errorSignature("  connection\n\n reset \t by   peer  ")).toBe("connection reset by peer");
  });

  it("gives copies of one failure the same signature", () => {
    const a = errorSignature(`Salesforce said 400 for account acc_00123 (jane@a.com): "Field 'Phone' invalid" at https://a.my.salesforce.com/x/1`);
    const b = errorSignature(`Salesforce said 400 for account acc_99871 (bob@b.org): "Field 'Email' invalid" at https://b.my.salesforce.com/y/2`);
    expect(a).toBe(b);
    expect(a).toBe("Salesforce said <n> for account <id> (<email>): <str> at <url>");
  });

  it("bounds a 10 KB error: the work and the signature", () => {
    const line = "at Object.sync (/srv/engine/flows/step_42.js:120:17) ";
    const huge = `Error: sync failed for 'acc_1' ${line.repeat(Math.ceil(10_240 / line.length))}`;
    expect(huge.length).toBeGreaterThan(10_000);
    const started = performance.now();
    const signature = errorSignature(huge)!;
    expect(performance.now() - started).toBeLessThan(200);
    expect(signature.length).toBeLessThanOrEqual(MAX_SIGNATURE_LENGTH);
    expect(signature.startsWith("Error: sync failed for <str> at Object.sync (/srv/engine/flows/<id>.js:<n>)")).toBe(true);
    // Ten kilobytes of one unbroken quote or digits stay bounded too.
    expect(errorSignature(`"${"x".repeat(10_240)}"`)!.length).toBeLessThanOrEqual(MAX_SIGNATURE_LENGTH);
    expect(errorSignature("9".repeat(10_240))).toBe("<n>");
    expect(errorSignature("a1".repeat(5_120))).toBe("<hex>");
    expect(errorSignature("k1".repeat(5_120))).toBe("<id>");
  });
});
