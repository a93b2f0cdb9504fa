import type { Need } from "../../src/domain/permissions.ts";

/** One registered command as the permission matrix exercises it. */
interface CommandSample {
  /** The need the contract gives the command (the registry must declare exactly this). */
  need: Need;
  /** Argument text; `{id}` stands for an integration of the group under test (commands with a target). */
  args: string;
}

/**
 * THE table of sample arguments for every slash subcommand, the one place to extend when a command is added:
 * the matrix fails for a registered command that has no entry here.
 */
export const COMMAND_SAMPLES: Record<string, CommandSample> = {
  help: { need: "anyone", args: "" },
  whoami: { need: "anyone", args: "" },
  list: { need: "view", args: "" },
  show: { need: "view", args: "{id}" },
  runs: { need: "view", args: "{id}" },
  auths: { need: "view", args: "" },
  stale: { need: "view", args: "" },
  export: { need: "view", args: "" },
  incidents: { need: "view", args: "" },
  run: { need: "run", args: "{id}" },
  rerun: { need: "run", args: "failing" },
  disable: { need: "manage", args: "{id} checked by the permission matrix" },
  enable: { need: "manage", args: "{id}" },
  snooze: { need: "manage", args: "{id}" },
  grant: { need: "admin", args: "extra@example.com view group:p1" },
  revoke: { need: "admin", args: "extra@example.com view group:p1" },
  link: { need: "admin", args: "<@UEXTRA|extra> extra@example.com" },
  audit: { need: "admin", args: "" },
  batches: { need: "view", args: "" },
  // Needs view somewhere; each click is then checked against the batch itself (its requester, its groups).
  confirm: { need: "view", args: "b_000000000000" },
  approve: { need: "view", args: "b_000000000000" },
  abort: { need: "view", args: "b_000000000000" },
  undo: { need: "view", args: "b_000000000000" },
};

/** Commands that change something: ALLOWED_CHANNELS applies to them (the contract's list, plus snooze). */
export const CHANGING_COMMANDS = ["run", "disable", "enable", "rerun", "grant", "revoke", "link", "snooze", "confirm", "approve", "abort", "undo"];
