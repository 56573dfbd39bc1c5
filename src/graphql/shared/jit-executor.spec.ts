import { type DocumentNode, type OperationDefinitionNode, buildSchema, parse } from "graphql";
import { DocumentStore, jitGateway } from "./jit-executor";

// Counts compilations, compiling as graphql-jit does.
jest.mock("graphql-jit", () => {
  const actual = jest.requireActual<typeof import("graphql-jit")>("graphql-jit");
  return { ...actual, compileQuery: jest.fn(actual.compileQuery) };
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compileQuery } = require("graphql-jit") as { compileQuery: jest.Mock };

type Executor = (rc: unknown) => Promise<{ data?: unknown; errors?: unknown[] }>;

async function executorOf(): Promise<Executor> {
  const gateway = jitGateway(buildSchema("type Query { hello: String }"))!;
  const loaded = (await gateway.load({ apollo: {} } as never)) as unknown as { executor: Executor };
  return loaded.executor;
}

const run = (executor: Executor, document: DocumentNode) =>
  executor({ document, operation: document.definitions[0] as OperationDefinitionNode, operationName: null, request: { variables: {} }, context: {} });

test("compiled operations are bounded: past 500 documents the least recently used is compiled again, even while its document lives", async () => {
  const executor = await executorOf();
  // Kept alive here as Apollo's document cache keeps them: before, each kept its compiled operation.
  const documents = Array.from({ length: 1000 }, (_, i) => parse(`query Q${i} { hello }`));
  compileQuery.mockClear();
  for (const document of documents) expect((await run(executor, document)).errors).toBeUndefined();
  expect(compileQuery).toHaveBeenCalledTimes(1000);
  // The last 500 are kept: none is compiled again.
  for (const document of documents.slice(500)) await run(executor, document);
  expect(compileQuery).toHaveBeenCalledTimes(1000);
  // The first was dropped (it compiled again, before it compiled once for as long as it lived).
  await run(executor, documents[0]);
  expect(compileQuery).toHaveBeenCalledTimes(1001);
  // That dropped documents[500], the least recently used; documents[501] is next, but a use moves it
  // to the end, so a new document drops documents[502] instead.
  await run(executor, documents[501]);
  await run(executor, parse("query Fresh { hello }"));
  await run(executor, documents[501]);
  expect(compileQuery).toHaveBeenCalledTimes(1002);
  await run(executor, documents[502]);
  expect(compileQuery).toHaveBeenCalledTimes(1003);
});

test("Apollo's document store keeps at most its count, the least recently used dropped first", async () => {
  const store = new DocumentStore(3);
  const doc = (i: number) => parse(`query Q${i} { hello }`);
  for (let i = 0; i < 3; i++) await store.set(`k${i}`, doc(i));
  expect(await store.get("k0")).toBeDefined();
  await store.set("k3", doc(3));
  expect(store.size).toBe(3);
  // k1 was the least recently used (k0 had just been read).
  expect(await store.get("k1")).toBeUndefined();
  expect(await store.get("k0")).toBeDefined();
  expect(await store.delete("k0")).toBe(true);
  expect(store.size).toBe(2);
});
