import { runBulk } from "./bulk.scim-handler";
import type { ScimScope } from "./scim-scope";

const scope = { baseUrl: "https://roster.test/scim/v2", limits: { maxBulkOperations: 10, maxPayloadBytes: 1_000_000 }, notes: new Set() } as unknown as ScimScope;
const body = {
  schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
  Operations: [
    { method: "PATCH", path: "/Groups/g1", data: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "add", path: "members", value: [{ value: "u1" }] }] } },
    { method: "DELETE", path: "/Users/u2" },
    { method: "DELETE", path: "/Users/u3" },
  ],
};

test("an operation the database refused for now (lock conflict, unreachable) is its own 503, not a 500; the others run", async () => {
  const refusals = [
    Object.assign(new Error("Lock wait timeout exceeded"), { code: "ER_LOCK_WAIT_TIMEOUT" }),
    Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
  ];
  const [first] = refusals;
  const unexpected: unknown[] = [];
  const refusedForNow: unknown[][] = [];
  const answer = await runBulk(
    scope,
    body,
    100,
    async () => {
      const refusal = refusals.shift();
      if (refusal) throw refusal;
      return { status: 204, body: undefined, headers: {} } as never;
    },
    { unexpected: (err) => unexpected.push(err), refusedForNow: (...args) => refusedForNow.push(args) },
  );
  const results = (answer.body as { Operations: { status: string; response?: { status: string; detail: string } }[] }).Operations;
  expect(results.map((r) => r.status)).toEqual(["503", "503", "204"]);
  expect(results[0].response?.detail).toMatch(/concurrent change.*retry/);
  expect(results[1].response?.detail).toMatch(/unavailable; retry later/);
  expect(unexpected).toEqual([]);
  // Logged once for the Bulk: the first refusal's error, how many, and where.
  expect(refusedForNow).toEqual([[first, 2, 0]]);
});
