import type { CliCommand } from "./cli-command";
import { coreCommands } from "./core.commands";

/** Every `roster` command; each adapter's commands live in their own file. */
export const commands: CliCommand[] = [...coreCommands];
