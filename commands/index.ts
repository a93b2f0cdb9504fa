import type { Command } from "../src/slash/command.ts";
import { auths } from "./auths.ts";
import { help } from "./help.ts";
import { list } from "./list.ts";
import { runs } from "./runs.ts";
import { show } from "./show.ts";

/** Every slash subcommand, in the order help lists them. The one place commands are wired. */
export const COMMANDS: readonly Command[] = [help, list, show, runs, auths];
