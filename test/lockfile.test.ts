import { spawnSync } from "node:child_process";
import path from "node:path";

test("package-lock.json describes every optional platform package, so that `npm ci` accepts it", () => {
  const r = spawnSync(process.execPath, [path.resolve(__dirname, "support/lockfile-platforms.mjs"), "--check"], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
});
