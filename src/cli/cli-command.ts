import type { Services } from "../domain/services";

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** A usage error: printed with the command's usage, exit code 2. */
export class CliUsageError extends Error {}

export interface CliCommand {
  /** Words that select it, e.g. `org create`. */
  name: string;
  usage: string;
  summary: string;
  /** Option names (without --) that take a value; others are flags. */
  options: string[];
  flags?: string[];
  /** Applies pending migrations (`roster migrate`); every other command refuses a database whose schema is behind. */
  upgradesSchema?: boolean;
  run(opts: Record<string, string | boolean>, services: Services, io: CliIo, opened: { migrationsApplied: string[] }): Promise<void>;
}

export function required(opts: Record<string, string | boolean>, name: string): string {
  const v = opts[name];
  if (typeof v !== "string" || v.trim() === "") throw new CliUsageError(`--${name} is required`);
  return v;
}
