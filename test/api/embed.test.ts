import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/clock.ts";
import type { Database } from "../../src/data/database.ts";
import { startTestBot, type TestBot } from "../support/bot.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { addIntegrations, loadWorld } from "../support/fixtures.ts";
import { postJson, testToken, unsignedToken } from "./tokens.ts";

// 23:30 UTC is already the next day in Berlin: connector auth names carry the date in TZ.
const clock = new FakeClock("2026-11-20T23:30:00Z");
const now = () => Math.floor(clock.now().getTime() / 1000);
const CFG1 = "cfg-1-secret-value";
const CFG2 = "cfg-2-secret-value";
const VIP = "vip-account-secret";

let testDb: TestDatabase;
let t: TestBot;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const setup = await testDb.open();
  await loadWorld(setup);
  await addIntegrations(setup, [{ id: "int_other", configurationId: "cfg_1", userId: "u_owner", accountId: "acc_owner" }]);
  await setup.close();
  t = await startTestBot(testDb.url, { TZ: "Europe/Berlin", RUNS_API_SECRET: "runs-secret" }, { clock });
  db = t.bot.runtime.db;
});

afterAll(async () => {
  await t?.stop();
  await testDb?.drop();
});

function user(id: string, extra: Record<string, unknown> = {}) {
  return { embed_user_id: id, embed_account_id: `acc_${id}`, ...extra };
}

async function activate(configurationId: string, token: string | undefined, body: unknown = { flow_id: "flow_1" }) {
  return postJson(`${t.baseUrl}/api/embed/${configurationId}/integrations`, body, token);
}

async function deactivate(configurationId: string, integrationId: string, token: string) {
  return postJson(`${t.baseUrl}/api/embed/${configurationId}/integrations/${integrationId}/deactivate`, {}, token);
}

async function counts() {
  return { integrations: await db.models.Integration.count(), auths: await db.models.ConnectorAuth.count(), audit: await db.models.AuditEvent.count() };
}

describe("embed JWT verification", () => {
  const cases: Array<{ name: string; code: string; token: () => Promise<string | undefined> | string | undefined; configuration?: string }> = [
    { name: "no Authorization header", code: "missing_token", token: () => undefined },
    { name: "a malformed token", code: "invalid_token", token: () => "not.a.jwt" },
    { name: "three parts of garbage", code: "invalid_token", token: () => "eyJhbGciOiJIUzI1NiJ9.e30.garbage" },
    { name: "the wrong secret", code: "invalid_token", token: () => testToken({ secret: "someone-elses-secret", now: now(), claims: user("u_1") }) },
    { name: "alg none", code: "invalid_token", token: () => unsignedToken({ ...user("u_1"), iat: now(), exp: now() + 600 }) },
    { name: "HS512 with the right secret", code: "invalid_token", token: () => testToken({ secret: CFG1, now: now(), alg: "HS512", claims: user("u_1") }) },
    { name: "HS384 with the right secret", code: "invalid_token", token: () => testToken({ secret: CFG1, now: now(), alg: "HS384", claims: user("u_1") }) },
    { name: "an expired token", code: "token_expired", token: () => testToken({ secret: CFG1, now: now(), iat: now() - 3600, exp: now() - 60, claims: user("u_1") }) },
    { name: "nbf beyond the tolerance", code: "token_not_yet_valid", token: () => testToken({ secret: CFG1, now: now(), nbf: now() + 120, claims: user("u_1") }) },
    { name: "iat in the future beyond the tolerance", code: "token_not_yet_valid", token: () => testToken({ secret: CFG1, now: now(), iat: now() + 120, exp: now() + 900, claims: user("u_1") }) },
    { name: "no exp", code: "missing_claim", token: () => testToken({ secret: CFG1, now: now(), omit: ["exp"], claims: user("u_1") }) },
    { name: "no iat", code: "missing_claim", token: () => testToken({ secret: CFG1, now: now(), omit: ["iat"], claims: user("u_1") }) },
    { name: "no embed_user_id", code: "missing_claim", token: () => testToken({ secret: CFG1, now: now(), claims: { embed_account_id: "acc_1" } }) },
    { name: "no embed_account_id", code: "missing_claim", token: () => testToken({ secret: CFG1, now: now(), claims: { embed_user_id: "u_1" } }) },
    { name: "embed_user_id not a string", code: "invalid_claim", token: () => testToken({ secret: CFG1, now: now(), claims: { embed_user_id: 42, embed_account_id: "acc_1" } }) },
    { name: "an unknown configuration", code: "unknown_configuration", configuration: "cfg_nope", token: () => testToken({ secret: CFG1, now: now(), claims: user("u_1") }) },
    {
      name: "the configuration's secret where the account has its own",
      code: "invalid_token",
      configuration: "cfg_2",
      token: () => testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_vip", embed_account_id: "acc_vip" } }),
    },
    {
      name: "an account's secret used for another account",
      code: "invalid_token",
      configuration: "cfg_2",
      token: () => testToken({ secret: VIP, now: now(), claims: { embed_user_id: "u_x", embed_account_id: "acc_plain" } }),
    },
  ];

  for (const testCase of cases) {
    it(`refuses ${testCase.name} with 401 ${testCase.code}, changing nothing and never echoing the token`, async () => {
      const before = await counts();
      const token = await testCase.token();
      const answer = await activate(testCase.configuration ?? "cfg_1", token, { flow_id: testCase.configuration === "cfg_2" ? "flow_2" : "flow_1" });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe(testCase.code);
      expect(typeof answer.body.message).toBe("string");
      if (token) {
        expect(answer.text).not.toContain(token);
        const payload = token.split(".")[1] ?? "";
        if (payload.length > 8) expect(answer.text).not.toContain(payload);
      }
      expect(await counts()).toEqual(before);
    });
  }

  it("refuses a header that is not Bearer", async () => {
    const response = await fetch(`${t.baseUrl}/api/embed/cfg_1/integrations`, { method: "POST", headers: { authorization: "Basic dTpw" }, body: "{}" });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_token");
  });

  it("accepts a token that expired within the 30 s clock tolerance, and one signed with the account's own secret", async () => {
    const late = await testToken({ secret: CFG1, now: now(), iat: now() - 600, exp: now() - 10, claims: user("u_tolerance") });
    expect((await activate("cfg_1", late)).status).toBe(201);
    const vip = await testToken({ secret: VIP, now: now(), claims: { embed_user_id: "u_vip", embed_account_id: "acc_vip" } });
    const answer = await activate("cfg_2", vip, { flow_id: "flow_2" });
    expect(answer.status).toBe(201);
    expect(answer.body.embed_account_id).toBe("acc_vip");
  });

  it("refuses deactivation with a token of another user (403) or of another configuration's secret (401)", async () => {
    const stranger = await testToken({ secret: CFG1, now: now(), claims: user("u_stranger") });
    const answer = await deactivate("cfg_1", "int_other", stranger);
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe("forbidden");
    const forged = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_owner", embed_account_id: "acc_owner" } });
    expect((await deactivate("cfg_1", "int_other", forged)).status).toBe(401);
    expect((await db.models.Integration.findByPk("int_other"))!.status).toBe("enabled");
  });

  it("answers 404 for an integration of another configuration, even to a valid token", async () => {
    const owner = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_owner", embed_account_id: "acc_owner" } });
    const answer = await deactivate("cfg_2", "int_other", owner);
    expect(answer.status).toBe(404);
    expect((await db.models.Integration.findByPk("int_other"))!.status).toBe("enabled");
  });
});

describe("activation", () => {
  it("activates once per user at sharing level user: 201, then 200 with the same integration", async () => {
    const token = await testToken({ secret: CFG1, now: now(), claims: user("u_1", { embed_user_name: "Jane van Doe", embed_state: { crm: "eu" } }) });
    const first = await activate("cfg_1", token, { flow_id: "flow_1", name: "My HubSpot sync" });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: "enabled", flow_id: "flow_1", configuration_id: "cfg_1", sharing_level: "user", embed_user_id: "u_1", embed_account_id: "acc_u_1", embed_user_name: "Jane van Doe", embed_state: { crm: "eu" }, name: "My HubSpot sync" });
    const again = await activate("cfg_1", token);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await activate("cfg_1", await testToken({ secret: CFG1, now: now(), claims: user("u_2") }));
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
    expect(other.body.name).toBe("HubSpot to CRM");
    const stored = await db.models.Integration.findAll({ where: { configurationId: "cfg_1", flowId: "flow_1", embedUserId: "u_1" } });
    expect(stored).toHaveLength(1);
    expect(stored[0]!.groupId).toBe("g1");
    expect(stored[0]!.embedState).toBe(JSON.stringify({ crm: "eu" }));
  });

  it("shares one integration per account at sharing level account, recording the first user", async () => {
    const a = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_a", embed_account_id: "acc_shared", embed_account_name: "Shared GmbH" } });
    const b = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_b", embed_account_id: "acc_shared" } });
    const c = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_c", embed_account_id: "acc_elsewhere" } });
    const first = await activate("cfg_2", a, { flow_id: "flow_2" });
    expect(first.status).toBe(201);
    const second = await activate("cfg_2", b, { flow_id: "flow_2" });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, embed_user_id: "u_a", embed_account_id: "acc_shared", embed_account_name: "Shared GmbH", sharing_level: "account" });
    const third = await activate("cfg_2", c, { flow_id: "flow_2" });
    expect(third.status).toBe(201);
    expect(await db.models.Integration.count({ where: { configurationId: "cfg_2", embedAccountId: "acc_shared" } })).toBe(1);
  });

  it("re-enables a deactivated integration on the next activation (200), both changes audited as the end user", async () => {
    const token = await testToken({ secret: CFG1, now: now(), claims: user("u_cycle") });
    const created = await activate("cfg_1", token);
    const id = created.body.id as string;
    const off = await deactivate("cfg_1", id, token);
    expect(off.status).toBe(200);
    expect(off.body.status).toBe("disabled");
    expect((await db.models.Integration.findByPk(id))!.statusChangedBy).toBe("job:embed:u_cycle");
    const offAgain = await deactivate("cfg_1", id, token);
    expect(offAgain.status).toBe(200);
    const on = await activate("cfg_1", token);
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ id, status: "enabled" });
    const audit = await db.models.AuditEvent.findAll({ where: { targetId: id }, order: [["id", "ASC"]] });
    expect(audit.map((event) => `${event.action}:${event.outcome}:${event.actor}`)).toEqual([
      "activate:ok:job:embed:u_cycle",
      "deactivate:ok:job:embed:u_cycle",
      "deactivate:noop:job:embed:u_cycle",
      "activate:ok:job:embed:u_cycle",
    ]);
  });

  it("lets another user of the account deactivate an account-level integration", async () => {
    const a = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_a2", embed_account_id: "acc_team" } });
    const b = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_b2", embed_account_id: "acc_team" } });
    const outsider = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_a2", embed_account_id: "acc_other_team" } });
    const id = (await activate("cfg_2", a, { flow_id: "flow_2" })).body.id as string;
    expect((await deactivate("cfg_2", id, outsider)).status).toBe(403);
    expect((await deactivate("cfg_2", id, b)).status).toBe(200);
    expect((await db.models.Integration.findByPk(id))!.status).toBe("disabled");
  });

  it("creates exactly one integration when the same user activates many times at once", async () => {
    const token = await testToken({ secret: CFG1, now: now(), claims: user("u_race") });
    const answers = await Promise.all(Array.from({ length: 6 }, () => activate("cfg_1", token, { flow_id: "flow_2" })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(await db.models.Integration.count({ where: { embedUserId: "u_race" } })).toBe(1);
  });

  it("answers 404 for an unknown flow and 400 for a bad body, creating nothing", async () => {
    const token = await testToken({ secret: CFG1, now: now(), claims: user("u_bad") });
    const before = await counts();
    const unknown = await activate("cfg_1", token, { flow_id: "flow_nope" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("unknown_flow");
    const noFlow = await activate("cfg_1", token, { name: "x" });
    expect(noFlow.status).toBe(400);
    expect(noFlow.body.message).toContain("flow_id");
    const badAuths = await activate("cfg_1", token, { flow_id: "flow_1", connector_auths: [{ connector_name: "" }] });
    expect(badAuths.status).toBe(400);
    expect(badAuths.body.message).toContain("connector_auths[0].connector_name");
    const notJson = await postJson(`${t.baseUrl}/api/embed/cfg_1/integrations`, undefined, token, "{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toBe("invalid_json");
    expect(await counts()).toEqual(before);
  });
});

describe("connector auths", () => {
  async function authsOf(userName: string | undefined, userId: string, connectorAuths: unknown[]) {
    const token = await testToken({ secret: CFG1, now: now(), claims: user(userId, userName === undefined ? {} : { embed_user_name: userName }) });
    return activate("cfg_1", token, { flow_id: "flow_1", connector_auths: connectorAuths });
  }

  it("names auths by the platform's schema with the date in TZ and the user's initials", async () => {
    const examples: Array<[string | undefined, string, string]> = [
      ["Jane van Doe", "u_jane", "JVD"],
      ["Cher", "u_cher", "C"],
      ["Анна Каренина", "u_anna", "АК"],
      [undefined, "u_noname", "u_noname"],
    ];
    for (const [name, id, initials] of examples) {
      const answer = await authsOf(name, id, [{ connector_name: "HubSpot" }, { connector_name: "Slack" }]);
      expect(answer.status).toBe(201);
      const auths = answer.body.connector_auths as Array<{ name: string; connector_name: string; proprietary: boolean }>;
      expect(auths).toEqual([
        expect.objectContaining({ name: `HubSpot Login authorized on 2026-11-21 by ${initials}`, connector_name: "HubSpot", proprietary: true }),
        expect.objectContaining({ name: `Slack Login authorized on 2026-11-21 by ${initials}`, connector_name: "Slack", proprietary: false }),
      ]);
      const stored = await db.models.ConnectorAuth.findAll({ where: { embedUserId: id }, order: [["name", "ASC"]] });
      expect(stored.map((auth) => [auth.name, auth.proprietary, auth.groupId, auth.sharingLevel, auth.embedAccountId])).toEqual([
        [`HubSpot Login authorized on 2026-11-21 by ${initials}`, true, "g1", "user", `acc_${id}`],
        [`Slack Login authorized on 2026-11-21 by ${initials}`, false, "g1", "user", `acc_${id}`],
      ]);
    }
  });

  it("refuses a custom name on a user's first auth of a connector, storing nothing of the request", async () => {
    const before = await counts();
    const answer = await authsOf("Kim Lee", "u_custom", [{ connector_name: "Slack", name: "Work Slack" }]);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("custom_name_not_allowed");
    expect(answer.body.message).toContain("connector_auths[0].name");
    expect(await counts()).toEqual(before);
  });

  it("accepts a custom name for a second auth, in the same request or a later one", async () => {
    const first = await authsOf("Kim Lee", "u_custom", [{ connector_name: "Slack" }, { connector_name: "Slack", name: "Work Slack" }]);
    expect(first.status).toBe(201);
    expect((first.body.connector_auths as Array<{ name: string }>).map((auth) => auth.name)).toEqual(["Slack Login authorized on 2026-11-21 by KL", "Work Slack"]);
    const later = await authsOf("Kim Lee", "u_custom", [{ connector_name: "Slack", name: "Home Slack" }]);
    expect(later.status).toBe(200);
    // Another user's earlier auth does not count for this one at sharing level user.
    const otherUser = await authsOf("Lee Kim", "u_custom_2", [{ connector_name: "Slack", name: "My Slack" }]);
    expect(otherUser.status).toBe(400);
    expect(await db.models.ConnectorAuth.count({ where: { embedUserId: "u_custom" } })).toBe(3);
  });

  it("counts the whole account's auths at sharing level account", async () => {
    const a = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_acc_a", embed_account_id: "acc_auths", embed_user_name: "Ann Able" } });
    const b = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_acc_b", embed_account_id: "acc_auths" } });
    const c = await testToken({ secret: CFG2, now: now(), claims: { embed_user_id: "u_acc_c", embed_account_id: "acc_auths_2" } });
    expect((await activate("cfg_2", a, { flow_id: "flow_2", connector_auths: [{ connector_name: "Salesforce" }] })).status).toBe(201);
    const second = await activate("cfg_2", b, { flow_id: "flow_2", connector_auths: [{ connector_name: "Salesforce", name: "Sales team login" }] });
    expect(second.status).toBe(200);
    expect((second.body.connector_auths as Array<{ name: string }>)[0]!.name).toBe("Sales team login");
    const elsewhere = await activate("cfg_2", c, { flow_id: "flow_2", connector_auths: [{ connector_name: "Salesforce", name: "Mine" }] });
    expect(elsewhere.status).toBe(400);
    expect(await db.models.Integration.count({ where: { embedAccountId: "acc_auths_2" } })).toBe(0);
  });

  it("takes proprietary from the configuration and refuses a request that claims otherwise", async () => {
    const wrong = await authsOf("Pat Prop", "u_prop", [{ connector_name: "Slack", proprietary: true }]);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe("proprietary_mismatch");
    const right = await authsOf("Pat Prop", "u_prop", [{ connector_name: "HubSpot", proprietary: true }, { connector_name: "Slack", proprietary: false }]);
    expect(right.status).toBe(201);
    expect((right.body.connector_auths as Array<{ proprietary: boolean }>).map((auth) => auth.proprietary)).toEqual([true, false]);
  });
});
