/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): the functions with the most
 * self time, and the most inclusive time grouped by source file, so a hotspot reads in one screen.
 *   ts-node --transpile-only test/bench/profile-summary.ts bench-results/profiles/<stamp>/<file>.cpuprofile [top]
 */
import fs from "node:fs";
import path from "node:path";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!file) {
  console.error("usage: profile-summary.ts <file.cpuprofile> [top]");
  process.exit(2);
}
const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Time per sample: the delta to the next sample.
const selfUs = new Map<number, number>();
p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0)));
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idleIds = new Set(p.nodes.filter((n) => ["(idle)", "(program)", "(garbage collector)"].includes(n.callFrame.functionName)).map((n) => n.id));
const busyUs = totalUs - [...idleIds].reduce((a, id) => a + (selfUs.get(id) ?? 0), 0);

const short = (url: string) => {
  const i = url.indexOf("node_modules/");
  if (i >= 0) return url.slice(i + 13);
  const d = url.indexOf("/dist/");
  return d >= 0 ? url.slice(d + 6) : url ? path.basename(url) : "(native)";
};
const key = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const pct = (us: number) => `${((us / totalUs) * 100).toFixed(1).padStart(5)}%`;

const self = new Map<string, number>();
for (const [id, us] of selfUs) self.set(key(byId.get(id)!), (self.get(key(byId.get(id)!)) ?? 0) + us);

// Inclusive time per function and per file (counted once per sample even when recursive).
const inclusiveFn = new Map<string, number>();
const inclusiveFile = new Map<string, number>();
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i + 1] ?? 0;
  const seenFn = new Set<string>();
  const seenFile = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!;
    const k = key(n);
    if (!seenFn.has(k)) {
      seenFn.add(k);
      inclusiveFn.set(k, (inclusiveFn.get(k) ?? 0) + dt);
    }
    const f = n.callFrame.url ? short(n.callFrame.url).split("/").slice(0, n.callFrame.url.includes("node_modules") ? 1 : 3).join("/") : "";
    if (f && !seenFile.has(f)) {
      seenFile.add(f);
      inclusiveFile.set(f, (inclusiveFile.get(f) ?? 0) + dt);
    }
  }
});

const list = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
    .join("\n");

console.log(`${file}\n  wall ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s, sampled ${(totalUs / 1e6).toFixed(1)} s, busy (not idle/program/GC) ${(busyUs / 1e6).toFixed(1)} s (${pct(busyUs).trim()})`);
console.log(`\nself time, top ${top}:\n${list(self, top)}`);
console.log(`\ninclusive time by package / source folder:\n${list(inclusiveFile, top)}`);
console.log(`\ninclusive time by function, top ${top}:\n${list(inclusiveFn, top)}`);
