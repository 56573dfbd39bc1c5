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

/** One scenario across repeated runs: its ratio in each (null where a run lacked it or had none). */
export interface SummaryRow {
  scenario: string;
  target: string;
  ratios: (number | null)[];
  median: number | null;
  /** Runs whose row met the target, of the runs that had a verdict. */
  met: number;
  judged: number;
}

/** The rows of several runs, matched by scenario, in the first run's order. */
export function summarise(runs: Row[][]): SummaryRow[] {
  const names = [...new Set(runs.flat().map((r) => r.scenario))];
  return names.map((scenario) => {
    const found = runs.map((rows) => rows.find((r) => r.scenario === scenario));
    const ratios = found.map((r) => r?.ratio ?? null);
    const verdicts = found.map((r) => r?.met).filter((m): m is boolean => typeof m === "boolean");
    return { scenario, target: found.find((r) => r)!.target, ratios, median: median(ratios.filter((x): x is number => x !== null)), met: verdicts.filter(Boolean).length, judged: verdicts.length };
  });
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function printSummary(rows: SummaryRow[]): string {
  const header = ["scenario", "ratio per run", "median", "target", "met in"];
  const lines = rows.map((r) => [r.scenario, r.ratios.map((x) => (x === null ? "—" : x.toFixed(2))).join(" "), r.median === null ? "—" : r.median.toFixed(2), r.target, r.judged ? `${r.met} of ${r.judged}` : "—"]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [row(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(row)].join("\n");
}
