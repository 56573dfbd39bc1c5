import { runCli } from "../../src/cli/run-cli";

/** Runs `roster <argv>` in this process on `databaseUrl` (a server's database): exit code, stdout and stderr as text. */
export async function rosterOn(databaseUrl: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, { DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
