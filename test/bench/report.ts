import fs from "node:fs";
import path from "node:path";
import type { CpuPerRequest } from "./cpu";

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
  /** CPU ms per request of the server (Roster) and of a local database, and the same for the baseline. */
  cpu?: CpuPerRequest;
  baselineCpu?: CpuPerRequest;
  /** What `baselineCpu` is, when not the row's baseline server. */
  baselineCpuLabel?: string;
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
  const costs = rows.filter((r) => r.cpu?.serverMs !== null && r.cpu?.serverMs !== undefined).map((r) => `  ${r.scenario}: ${cpuText(r.cpu!)}${r.baselineCpu?.serverMs ? `; ${r.baselineCpuLabel ?? "baseline"} ${cpuText(r.baselineCpu)} (${(total(r.cpu!) / total(r.baselineCpu)).toFixed(1)}×)` : ""}`);
  if (costs.length) out.push("", "CPU per request, ms (server + database on this machine; less noisy than the rates):", ...costs);
  return out.join("\n");
}

const total = (c: CpuPerRequest) => (c.serverMs ?? 0) + (c.databaseMs ?? 0);
const cpuText = (c: CpuPerRequest) => (c.databaseMs === null ? `${c.serverMs!.toFixed(2)}` : `${c.serverMs!.toFixed(2)} + ${c.databaseMs.toFixed(2)} = ${total(c).toFixed(2)}`);

export function writeJson(dir: string, stamp: string, content: unknown): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${stamp}.json`);
  fs.writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
  return file;
}
