import type { CliCommand } from "./cli-command";
import { coreCommands } from "./core.commands";
import { ssoCommands } from "./sso.commands";
import { oauthCommands } from "./oauth.commands";

/** Every `roster` command; each adapter's commands live in their own file. */
export const commands: CliCommand[] = [...coreCommands, ...ssoCommands, ...oauthCommands];
