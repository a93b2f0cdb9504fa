import type { Command } from "../src/slash/command.ts";
import { auths } from "./auths.ts";
import { disable } from "./disable.ts";
import { enable } from "./enable.ts";
import { exportCommand } from "./export.ts";
import { help } from "./help.ts";
import { incidents } from "./incidents.ts";
import { whoami } from "./whoami.ts";
import { revoke } from "./revoke.ts";
import { link } from "./link.ts";
import { grant } from "./grant.ts";
import { audit } from "./audit.ts";
import { abort, approve, batches, bulkDisable, bulkEnable, bulkRun, confirm } from "./batches.ts";
import { undo } from "./undo.ts";
import { list } from "./list.ts";
import { rerun } from "./rerun.ts";
import { run } from "./run.ts";
import { runs } from "./runs.ts";
import { show } from "./show.ts";
import { snooze } from "./snooze.ts";
import { stale } from "./stale.ts";

/** Every slash subcommand, in the order help lists them. The one place commands are wired (with their bulk forms). */
export const COMMANDS: readonly Command[] = [help, list, show, runs, { ...run, bulk: bulkRun }, { ...disable, bulk: bulkDisable }, { ...enable, bulk: bulkEnable }, rerun, confirm, approve, abort, batches, undo, auths, stale, snooze, incidents, exportCommand, whoami, grant, revoke, link, audit];
