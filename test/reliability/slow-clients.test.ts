// Clients that send a request slowly, or never finish it, do not hold a connection for long.
import net from "node:net";
import { startTestApp } from "../support/test-app";
import { type TestDatabase, createTestDatabase } from "../support/test-database";
import { type RosterProcess, ensureBuilt, startRoster } from "./support/roster-process";

let db: TestDatabase;
let roster: RosterProcess | undefined;
beforeAll(async () => {
  await ensureBuilt();
  db = await createTestDatabase();
  roster = await startRoster({ databaseUrl: db.url, env: { REQUEST_TIMEOUT_SECONDS: "2" } });
}, 60_000);
afterAll(async () => {
  await roster?.stop();
  await db?.drop();
});

/** Sends `start`, then a byte of `drip` every 300 ms; resolves with what came back and when the server closed. */
function slowClient(port: number, start: string, drip: string): Promise<{ answer: string; seconds: number }> {
  return new Promise((resolve) => {
    const began = Date.now();
    let answer = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(start));
    let i = 0;
    const timer = setInterval(() => i < drip.length && !socket.destroyed && socket.write(drip[i++]!), 300);
    socket.on("data", (d: Buffer) => (answer += d.toString("utf8")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ answer, seconds: (Date.now() - began) / 1000 });
    });
  });
}

test.each([
  ["headers sent a byte at a time", "GET /healthz HTTP/1.1\r\n", "Host: x\r\nX-Slow: " + "a".repeat(100)],
  ["a GraphQL body that never ends", 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":', " ".repeat(100)],
  ["nothing after connecting", "", ""],
])("%s: 408 and the connection closed after REQUEST_TIMEOUT_SECONDS", async (_name, start, drip) => {
  const { answer, seconds } = await slowClient(roster!.port, start, drip);
  expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  expect(seconds).toBeGreaterThanOrEqual(1.9);
  expect(seconds).toBeLessThan(5);
});

test("the tests' in-process app keeps idle connections as main does (a stall in the test's own SQLite work found the next request's connection closed under it with Node's 5 s)", async () => {
  const app = await startTestApp();
  try {
    const viaMain = (await fetch(`http://127.0.0.1:${roster!.port}/healthz`)).headers.get("keep-alive");
    expect(viaMain).toBe("timeout=65");
    expect((await fetch(`${app.url}/healthz`)).headers.get("keep-alive")).toBe(viaMain);
  } finally {
    await app.close();
  }
});
