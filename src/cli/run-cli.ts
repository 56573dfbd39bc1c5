import { parseArgs } from "node:util";
import type { DataSource } from "typeorm";
import { ConfigError, loadConfig, unknownVariableWarnings } from "../config/config";
import { DomainError } from "../domain/shared/domain-error";
import { createServices } from "../domain/services";
import { SchemaBehindError, openDatabase } from "../platform/boot";
import { Database } from "../platform/database";
import { type CliIo, CliUsageError } from "./cli-command";
import { commands } from "./commands";

/** Every command, each as its summary over its usage (usage lines are too long for columns). */
function help(write: (line: string) => void) {
  write("usage: roster <command> [options]   (DATABASE_URL selects the database, as for the server)");
  write("--org S names an organisation by its slug, its id, or a slug it gave up in a rename\n");
  for (const c of commands) write(`  ${c.summary}\n    roster ${c.usage}`);
}

/** Runs one CLI command; returns the exit code (0 ok, 1 refused by a rule, 2 bad usage or configuration). */
export async function runCli(argv: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const words = argv.filter((a) => !a.startsWith("-"));
  const command = commands
    .filter((c) => c.name.split(" ").every((w, i) => words[i] === w))
    .sort((a, b) => b.name.length - a.name.length)[0];
  const asked = argv.includes("--help") || argv.includes("-h");
  if (command && asked) {
    io.out(`${command.summary}\nusage: roster ${command.usage}`);
    return 0;
  }
  if (!command) {
    // Help that was asked for goes to stdout (`roster --help | less`); a mistake's goes to stderr.
    const failed = words.length > 0;
    if (failed) io.err(`unknown command: ${words.join(" ")}\n`);
    help(failed || !asked ? io.err : io.out);
    return failed ? 2 : 0;
  }
  let opts: Record<string, string | boolean>;
  try {
    const parsed = parseArgs({
      args: argv.slice(command.name.split(" ").length),
      options: Object.fromEntries([...command.options.map((o) => [o, { type: "string" as const }]), ...(command.flags ?? []).map((f) => [f, { type: "boolean" as const }])]),
      allowPositionals: false,
      strict: true,
    });
    opts = parsed.values as Record<string, string | boolean>;
  } catch (err) {
    io.err(`${(err as Error).message}\nusage: roster ${command.usage}`);
    return 2;
  }
  let ds: DataSource | undefined;
  try {
    const config = loadConfig(env);
    for (const warning of unknownVariableWarnings(env)) io.err(`warning: ${warning}`);
    // A newer CLI must not upgrade the schema under servers of the release that made it: only
    // `roster migrate` does (or the new servers, when they start). An empty database is set up.
    const opened = { migrationsApplied: [] as string[] };
    ds = await openDatabase(config, {}, { apply: command.upgradesSchema ? "all" : "fresh-only", onApplied: (names) => (opened.migrationsApplied = names) });
    // The server's rules for what an admin configures (OAUTH_ALLOW_HTTP_JWKS, ALLOW_PRIVATE_OUTBOUND_HOSTS) are the same here.
    await command.run(opts, createServices(new Database(ds), { oauth: { issuer: config.publicUrl, ...config.oauth }, allowPrivateOutboundHosts: config.allowPrivateOutboundHosts }), io, opened);
    return 0;
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.err(`${err.message}\nusage: roster ${command.usage}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 2;
    }
    if (err instanceof SchemaBehindError) {
      io.err(`error: ${err.message}. Nothing was changed. Servers of this release apply them when they start, and \`roster migrate\` applies them now; see "Upgrading" in the README for the older servers to stop first`);
      return 1;
    }
    if (err instanceof DomainError) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    io.err(`error: ${(err as Error).message}`);
    return 1;
  } finally {
    await ds?.destroy().catch(() => undefined);
  }
}
