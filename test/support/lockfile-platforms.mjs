#!/usr/bin/env node
// The npm mirror this project is installed from holds only some platforms' prebuilt binaries
// (@swc/core-*, @unrs/resolver-binding-*), so `npm install` writes no lock entries for the others,
// and `npm ci` then refuses the lock ("Missing: @swc/core-darwin-arm64@ from lock file").
// This adds an entry for every such optional dependency, with its platform (os/cpu/libc), so that
// npm ci skips it on other machines. Run it after any `npm install`:  node test/support/lockfile-platforms.mjs
// With --check it only reports (exit 1 when entries are missing).
import fs from "node:fs";
import path from "node:path";

const lockPath = path.resolve(import.meta.dirname, "../../package-lock.json");
const lock = JSON.parse(fs.readFileSync(lockPath, "utf8"));
const packages = lock.packages;

export function missingOptionals(pkgs) {
  const missing = [];
  for (const [key, entry] of Object.entries(pkgs)) {
    for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
      const nested = key ? `${key}/node_modules/${name}` : `node_modules/${name}`;
      if (!pkgs[`node_modules/${name}`] && !pkgs[nested]) missing.push({ name, version: String(spec).replace(/^[\^~=]/, ""), parent: entry });
    }
  }
  return missing;
}

function platformOf(name) {
  const tail = name.split("/").pop();
  const os = ["darwin", "linux", "win32", "android", "freebsd", "openharmony", "sunos", "netbsd", "openbsd", "aix"].find((o) => tail.includes(o));
  const cpu = ["arm64", "x64", "ia32", "arm", "ppc64", "s390x", "riscv64", "loong64", "wasm32"].find((c) => new RegExp(`-${c}(-|$)`).test(tail));
  const libc = tail.includes("musl") ? ["musl"] : /-gnu(eabihf)?$/.test(tail) ? ["glibc"] : undefined;
  return { os, cpu, libc };
}

const missing = missingOptionals(packages);
if (process.argv.includes("--check")) {
  if (missing.length) {
    console.error(`package-lock.json lacks ${missing.length} optional platform packages (${missing.map((m) => m.name).join(", ")}): run node test/support/lockfile-platforms.mjs`);
    process.exit(1);
  }
  process.exit(0);
}
for (const m of missing) {
  const { os, cpu, libc } = platformOf(m.name);
  if (!os || !cpu) throw new Error(`cannot tell the platform of ${m.name}`);
  const entry = { version: m.version, cpu: [cpu], os: [os], ...(libc ? { libc } : {}) };
  if (m.parent.devOptional || m.parent.dev) entry.devOptional = true;
  else entry.optional = true;
  packages[`node_modules/${m.name}`] = entry;
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)));
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${missing.length} optional platform entries to package-lock.json`);
