import { incidentSummaries } from "../src/data/incidents.ts";
import { incidentView } from "../src/incidents/review.ts";
import { defineCommand } from "../src/slash/command.ts";
import { presentIncidentList } from "../src/slack/presenters/incident.ts";

/** `incidents`: the open incidents touching integrations the caller may view, counted within that scope. */
export const incidents = defineCommand({
  name: "incidents",
  usage: "incidents",
  summary: "List the open incidents (one error failing many copies of an Embed Flow) touching integrations you may view.",
  need: "view",
  arguments: {},
  async execute(ctx) {
    const open = await incidentSummaries(ctx.db, ctx.scope);
    return { visibility: "ephemeral", doc: presentIncidentList(open.map(incidentView), ctx.clock.now(), ctx.config.timeZone) };
  },
});
