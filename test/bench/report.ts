import fs from "node:fs";
import path from "node:path";

/** One line of the table. Every Roster figure carries its baseline (same run, same client) and the ratio. */
export interface Row {
  scenario: string;
  /** Requests/s (or rows/s, or seconds for wall-time scenarios: see unit). */
  rate: number | null;
  unit: "req/s" | "rows/s" | "s" | "queries" | "trips" | "x";
  p50: number | null;
  p99: number | null;
  baseline: string;
  baselineValue: number | null;
  /** Roster ÷ baseline (for wall times: baseline ÷ Roster, so that higher is better everywhere except where noted). */
  ratio: number | null;
  target: string;
  met: boolean | null;
  note?: string;
  errors?: number;
}

const fmt = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || Number.isNaN(v) ? "—" : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(digits);

export function printTable(rows: Row[]): string {
  const header = ["scenario", "rate", "p50 ms", "p99 ms", "baseline", "ratio", "target", "met?"];
  const lines = rows.map((r) => [
    r.scenario + (r.errors ? ` (${r.errors} errors)` : ""),
    r.rate === null ? "—" : `${fmt(r.rate)} ${r.unit}`,
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    r.baselineValue === null ? r.baseline : `${r.baseline} ${fmt(r.baselineValue)}`,
    r.ratio === null ? "—" : r.ratio.toFixed(2),
    r.target,
    r.met === null ? "—" : r.met ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 4 || i === 6 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const out = [row(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(row)];
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.scenario}: ${r.note}`);
  if (notes.length) out.push("", "notes:", ...notes);
  return out.join("\n");
}

export function writeJson(dir: string, stamp: string, content: unknown): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${stamp}.json`);
  fs.writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
  return file;
}
