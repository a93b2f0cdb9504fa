import { describe, expect, it } from "vitest";
import { SLACK_LIMITS, toBlockKit } from "../../src/slack/block-kit.ts";
import type { Doc } from "../../src/reply/document.ts";
import { presentIntegrationList } from "../../src/slack/presenters/integration-list.ts";
import { alignColumns, plainText, toText } from "../../src/slack/text-renderer.ts";
import type { IntegrationRow } from "../../src/data/integrations.ts";

function row(id: string, overrides: Partial<IntegrationRow> = {}): IntegrationRow {
  const at = new Date("2026-11-01T10:00:00Z");
  return {
    id, name: `Sync ${id}`, status: "enabled", latestRunStatus: null, latestRunAt: null, latestRunError: null, lastSuccessAt: null,
    failuresInRow: 0, flowId: "flow_1", flowName: "HubSpot to CRM", flowUrl: "https://flows.example.com/flow_1",
    configurationId: "cfg_1", configurationName: "HubSpot sync", groupId: "g1", groupName: "Acme <Partners>", groupKind: "group",
    embedUserId: "u_1", embedAccountId: "acc_1", embedUserName: null, sharingLevel: "account", triggerUrl: null,
    statusChangedAt: null, statusChangedBy: null, disabledReason: null, activityAt: at, createdAt: at, health: null, healthReason: null, ...overrides,
  };
}

describe("Block Kit renderer", () => {
  it("keeps to 50 blocks, keeping the last actions block and saying what was cut", () => {
    const doc: Doc = {
      text: "many",
      blocks: [...Array.from({ length: 80 }, (_, i) => ({ type: "section" as const, text: `row ${i}` })), { type: "actions", buttons: [{ label: "Next page", command: "list after:x" }] }],
    };
    const rendered = toBlockKit(doc);
    expect(rendered.blocks).toHaveLength(SLACK_LIMITS.blocks);
    expect(rendered.blocks.at(-1)?.type).toBe("actions");
    expect(JSON.stringify(rendered.blocks.at(-2))).toContain("32 more blocks not shown");
  });

  it("clips a section to 3000 characters", () => {
    const rendered = toBlockKit({ text: "long", blocks: [{ type: "section", text: "x".repeat(5000) }] });
    const section = rendered.blocks[0] as { text: { text: string } };
    expect(section.text.text.length).toBe(SLACK_LIMITS.sectionText);
  });

  it("gives every button a unique action id, its command as value, and Slack's confirm dialog", () => {
    const rendered = toBlockKit({
      text: "t",
      blocks: [
        { type: "actions", buttons: [{ label: "Run", command: "run int_1", confirm: { title: "Run?", text: "Sure?", confirm: "Run", deny: "Cancel" } }, { label: "Disable", command: "disable int_1", style: "danger" }] },
        { type: "section", text: "x", button: { label: "Snooze", command: "snooze int_1" } },
      ],
    });
    const json = JSON.stringify(rendered.blocks);
    const ids = [...json.matchAll(/"action_id":"([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => id!.startsWith("embedops:"))).toBe(true);
    expect(json).toContain('"value":"run int_1"');
    expect(json).toContain('"confirm":{"title":{"type":"plain_text","text":"Run?"');
  });

  it("escapes data in the integration list and labels Sharing level as the platform does", () => {
    const doc = presentIntegrationList({ rows: [row("int_1")], filterText: "", pageNumber: 1 });
    const json = JSON.stringify(toBlockKit(doc).blocks);
    expect(json).toContain("Acme &lt;Partners&gt;");
    expect(json).toContain("Sharing level: Account");
    expect(json).toContain("Latest run: N/A");
    expect(json).toContain("<https://flows.example.com/flow_1|HubSpot to CRM>");
  });
});

describe("text renderer", () => {
  it("turns markup into plain text", () => {
    expect(plainText(":warning: *Bold* and <https://x.example|a link>, <#C1>, <@U1|ada> &amp; &lt;b&gt;")).toBe("Error: Bold and a link (https://x.example), #C1, @U1 & <b>");
  });

  it("aligns table columns", () => {
    expect(alignColumns(["A", "Bee"], [["1", "2"], ["333", "4"]])).toEqual(["A    Bee", "---  ---", "1    2", "333  4"]);
  });

  it("shows a button as the command that does the same", () => {
    const text = toText({ text: "t", blocks: [{ type: "actions", buttons: [{ label: "Next page", command: "list after:abc page:2" }] }] }, "/integrations");
    expect(text).toBe("  [Next page] /integrations list after:abc page:2");
  });

  it("renders the integration list with every column header", () => {
    const text = toText(presentIntegrationList({ rows: [row("int_1")], filterText: "group:g1", pageNumber: 1 }));
    const header = text.split("\n")[1]!;
    for (const column of ["Integration", "Status", "Latest run", "Embed Flow", "Configuration ID", "Configuration name", "Group name", "User ID", "Account ID", "Sharing level"]) {
      expect(header).toContain(column);
    }
    expect(text).toContain("HubSpot to CRM (https://flows.example.com/flow_1)");
  });
});
