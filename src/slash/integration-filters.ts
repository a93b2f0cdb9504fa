import type { IntegrationFilters } from "../data/integrations.ts";
import type { ArgumentSpec, ParsedArguments } from "./grammar.ts";

/** The filters `list`, `export` and `rerun failing` accept. */
export const INTEGRATION_FILTER_SPEC = {
  status: ["enabled", "disabled"],
  latest: ["success", "error", "running", "retrying", "none"],
  group: null,
  config: null,
  account: null,
  user: null,
  flow: null,
  incident: null,
} as const;

/** The flags `list` accepts. */
export const INTEGRATION_FLAGS = ["stale", "failing", "overdue"] as const;

/** The arguments of `list` and of every command that takes its filters. */
export const INTEGRATION_ARGUMENTS = { filters: INTEGRATION_FILTER_SPEC, flags: INTEGRATION_FLAGS, rest: true } as const satisfies ArgumentSpec;

/** Turns parsed `list` arguments into query filters. */
export function integrationFilters(args: ParsedArguments<typeof INTEGRATION_ARGUMENTS>): IntegrationFilters {
  const f = args.filters;
  return {
    status: f.status,
    latest: f.latest,
    group: f.group,
    configurationId: f.config,
    accountId: f.account,
    userId: f.user,
    flowId: f.flow,
    incidentId: f.incident,
    stale: args.flags.has("stale"),
    failing: args.flags.has("failing"),
    overdue: args.flags.has("overdue"),
    words: args.rest,
  };
}
