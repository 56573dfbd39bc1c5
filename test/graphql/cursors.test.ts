import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { useTenant } from "../support/test-tenant";

/**
 * GraphQL connections' cursors are opaque and bound to the organisation, the list and its filter: a
 * cursor shows no key (a user's was their lower-cased userName in base64url), pages on every
 * instance of the deployment, and one from another list, filter or organisation, altered, or in the
 * format before, is refused with BAD_USER_INPUT naming `after` (it used to move the position).
 */
let app: TestApp;
let t: TestTenant;
let other: TestTenant;
let groupIds: string[];
let bigGroup: string;
let smallGroup: string;

const USER_NAMES = Array.from({ length: 11 }, (_, i) => `Cursor-${String(i).padStart(2, "0")}.${i % 2 ? "Odd" : "Even"}@Paging.test`);
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");

useTenant((x) => ({ app, t, other } = x), { other: true });
beforeAll(async () => {
  const userIds: string[] = [];
  for (const userName of USER_NAMES) userIds.push((await app.services.users.create(t.ctx, { userName })).id);
  for (const userName of USER_NAMES.slice(0, 3)) await app.services.users.create(other.ctx, { userName });
  groupIds = [];
  for (let i = 0; i < 9; i++) groupIds.push((await app.services.groups.create(t.ctx, { displayName: `Cursor group ${i}` })).id);
  await app.services.groups.create(other.ctx, { displayName: "Cursor group 0" });
  [bigGroup, smallGroup] = groupIds;
  await app.services.groups.addMembers(t.ctx, bigGroup, [...userIds.map((id) => ({ id })), { id: groupIds[2], type: "group" }]);
  await app.services.groups.addMembers(t.ctx, smallGroup, userIds.slice(0, 3).map((id) => ({ id })));
  // Entries in both organisations' provisioning logs.
  for (const tenant of [t, other, t, other, t]) await fetch(`${app.url}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${tenant.scimToken}` } });
});

interface Page {
  nodes: Record<string, string>[];
  edges: { cursor: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** The connection at `path` of a query's data. */
function connection(data: unknown, path: string): Page {
  return path.split(".").reduce((value: any, key) => value[key], data) as Page;
}

/** Every page of a connection, following endCursor (or the last edge's cursor): the nodes' `field`, and every cursor given. */
async function walk(token: string, query: (after: string | null) => [string, Record<string, unknown>], path: string, field: string, by: "endCursor" | "edges") {
  const seen: string[] = [];
  const cursors: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const [text, variables] = query(after);
    const r = await app.gql(token, text, variables);
    expect(r.errors).toBeUndefined();
    const page = connection(r.data, path);
    seen.push(...page.nodes.map((n) => n[field]));
    cursors.push(...page.edges.map((e) => e.cursor), ...(page.pageInfo.endCursor ? [page.pageInfo.endCursor] : []));
    if (!page.pageInfo.hasNextPage) return { seen, cursors };
    after = by === "endCursor" ? page.pageInfo.endCursor : page.edges.at(-1)!.cursor;
  }
  throw new Error("paging did not end");
}

const usersQuery = (filter: string) => (after: string | null): [string, Record<string, unknown>] => [
  `query($a: String) { users(first: 4, after: $a, filter: ${filter}) { nodes { userName id } edges { cursor } pageInfo { hasNextPage endCursor } } }`,
  { a: after },
];
const groupsQuery = (after: string | null): [string, Record<string, unknown>] => [
  `query($a: String) { groups(first: 2, after: $a, filter: { text: "Cursor group" }) { nodes { displayName id } edges { cursor } pageInfo { hasNextPage endCursor } } }`,
  { a: after },
];
const membersQuery = (group: () => string) => (after: string | null): [string, Record<string, unknown>] => [
  `query($g: ID!, $a: String) { group(id: $g) { members(first: 3, after: $a) { nodes { id } edges { cursor } pageInfo { hasNextPage endCursor } } } }`,
  { g: group(), a: after },
];

describe("paging", () => {
  test.each(["endCursor", "edges"] as const)("through users visits every user exactly once, in order (by %s); no cursor shows a userName", async (by) => {
    const { seen, cursors } = await walk(t.adminToken, usersQuery(`{ text: "paging.test" }`), "users", "userName", by);
    expect(seen).toEqual([...USER_NAMES].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
    expect(cursors.length).toBeGreaterThan(11);
    for (const cursor of cursors) {
      expect(cursor).toMatch(/^[A-Za-z0-9_-]{1,200}$/);
      expect(Buffer.from(cursor, "base64url").toString("latin1").toLowerCase()).not.toContain("paging.test");
    }
    // Not the key in base64 either (what the cursors were).
    expect(cursors.filter((c) => USER_NAMES.some((n) => c.includes(b64(n.toLowerCase()).slice(0, 12))))).toEqual([]);
  });

  test.each(["endCursor", "edges"] as const)("through groups and a group's members visits every row exactly once (by %s)", async (by) => {
    const groups = await walk(t.adminToken, groupsQuery, "groups", "displayName", by);
    expect(groups.seen).toEqual(Array.from({ length: 9 }, (_, i) => `Cursor group ${i}`));
    for (const cursor of groups.cursors) expect(Buffer.from(cursor, "base64url").toString("latin1").toLowerCase()).not.toContain("cursor group");
    const members = await walk(t.adminToken, membersQuery(() => bigGroup), "group.members", "id", by);
    expect(members.seen).toHaveLength(12);
    expect(new Set(members.seen).size).toBe(12);
    expect(members.seen).toEqual([...members.seen].sort());
  });

  test("a cursor one instance gave pages on another instance of the same database, and is refused there for another organisation", async () => {
    const second = await startTestApp({}, { shareDatabaseOf: app });
    try {
      const first = await app.gql<{ users: Page }>(t.adminToken, ...usersQuery(`{ text: "paging.test" }`)(null));
      const next = await second.gql<{ users: Page }>(t.adminToken, ...usersQuery(`{ text: "paging.test" }`)(first.data!.users.pageInfo.endCursor));
      expect(next.errors).toBeUndefined();
      expect(next.data!.users.nodes.map((n) => n.userName)).toEqual([...USER_NAMES].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)).slice(4, 8));
      const elsewhere = await second.gql<{ users: Page }>(other.adminToken, ...usersQuery(`{ text: "paging.test" }`)(first.data!.users.pageInfo.endCursor));
      expect(elsewhere.errors?.map((e) => e.extensions)).toEqual([{ code: "BAD_USER_INPUT", field: "after" }]);
    } finally {
      await second.close();
    }
  });
});

describe("refused cursors", () => {
  /** The endCursor of a first page (first: 1). */
  async function endCursor(token: string, query: string, variables: Record<string, unknown> = {}): Promise<string> {
    const r = await app.gql(token, query, variables);
    expect(r.errors).toBeUndefined();
    const find = (value: unknown): string | undefined => {
      if (!value || typeof value !== "object") return undefined;
      const record = value as Record<string, unknown>;
      if (record.pageInfo) return (record.pageInfo as { endCursor: string }).endCursor;
      return Object.values(record).map(find).find(Boolean);
    };
    const cursor = find(r.data);
    expect(typeof cursor).toBe("string");
    return cursor!;
  }
  const users = (filter = `{ text: "paging.test" }`) => `query($a: String) { users(first: 1, after: $a, filter: ${filter}) { nodes { id } pageInfo { endCursor } } }`;
  const groups = (filter = `{ text: "Cursor group" }`) => `query($a: String) { groups(first: 1, after: $a, filter: ${filter}) { nodes { id } pageInfo { endCursor } } }`;
  const members = `query($g: ID!, $a: String) { group(id: $g) { members(first: 1, after: $a) { nodes { id } pageInfo { endCursor } } } }`;
  const audit = (filter = "{}") => `query($a: String) { auditEvents(first: 1, after: $a, filter: ${filter}) { nodes { id } pageInfo { endCursor } } }`;
  const log = (filter = "{}") => `query($a: String) { provisioningLog(first: 1, after: $a, filter: ${filter}) { nodes { id } pageInfo { endCursor } } }`;
  /** Alters one character in the middle of a cursor. */
  const tampered = (cursor: string) => {
    const i = Math.floor(cursor.length / 2);
    return cursor.slice(0, i) + (cursor[i] === "A" ? "B" : "A") + cursor.slice(i + 1);
  };

  /** [case, the query it is sent with (and its variables), the cursor]. */
  const cases: [string, () => Promise<[string, Record<string, unknown>, string]>][] = [
    ["users: another organisation's users", async () => [users(), {}, await endCursor(other.adminToken, users())]],
    ["users: another filter", async () => [users(`{ text: "odd" }`), {}, await endCursor(t.adminToken, users())]],
    ["users: the groups list", async () => [users(), {}, await endCursor(t.adminToken, groups())]],
    ["users: a group's members", async () => [users(), {}, await endCursor(t.adminToken, members, { g: bigGroup })]],
    ["users: altered", async () => [users(), {}, tampered(await endCursor(t.adminToken, users()))]],
    ["users: from before (the userName's key in base64url)", async () => [users(), {}, b64(USER_NAMES[3].toLowerCase())]],
    ["users: longer than any cursor", async () => [users(), {}, "A".repeat(1400)]],
    ["groups: another organisation's groups", async () => [groups(), {}, await endCursor(other.adminToken, groups())]],
    ["groups: another filter", async () => [groups(`{ text: "group 1" }`), {}, await endCursor(t.adminToken, groups())]],
    ["groups: the users list", async () => [groups(), {}, await endCursor(t.adminToken, users())]],
    ["groups: from before (the displayName's key in base64url)", async () => [groups(), {}, b64("cursor group 4")]],
    ["members: another group's members", async () => [members, { g: smallGroup }, await endCursor(t.adminToken, members, { g: bigGroup })]],
    ["members: from before (a member id in base64url)", async () => {
      const first = await app.gql<{ group: { members: { nodes: { id: string }[] } } }>(t.adminToken, members, { g: bigGroup });
      return [members, { g: bigGroup }, b64(first.data!.group.members.nodes[0].id)];
    }],
    ["auditEvents: the provisioning log (both newest first by time and id)", async () => [audit(), {}, await endCursor(t.adminToken, log())]],
    ["auditEvents: another organisation's audit trail", async () => [audit(), {}, await endCursor(other.adminToken, audit())]],
    ["auditEvents: another filter", async () => [audit(`{ resourceType: "User" }`), {}, await endCursor(t.adminToken, audit(`{ resourceType: "Group" }`))]],
    ["auditEvents: from before (time and id in base64url)", async () => {
      const first = await app.gql<{ auditEvents: { nodes: { id: string; occurredAt: string }[] } }>(t.adminToken, "{ auditEvents(first: 1) { nodes { id occurredAt } } }");
      const event = first.data!.auditEvents.nodes[0];
      return [audit(), {}, b64(JSON.stringify([new Date(event.occurredAt).toISOString(), event.id]))];
    }],
    ["provisioningLog: the audit trail", async () => [log(), {}, await endCursor(t.adminToken, audit())]],
    ["provisioningLog: another organisation's log", async () => [log(), {}, await endCursor(other.adminToken, log())]],
    ["provisioningLog: another filter", async () => [log(`{ status: 200 }`), {}, await endCursor(t.adminToken, log(`{ method: "GET" }`))]],
  ];

  test.each(cases)("%s: BAD_USER_INPUT naming after, no page", async (_name, make) => {
    const [query, variables, cursor] = await make();
    const r = await app.gql(t.adminToken, query, { ...variables, a: cursor });
    expect(r.errors?.map((e) => e.extensions)).toEqual([{ code: "BAD_USER_INPUT", field: "after" }]);
    expect(r.errors?.[0].message).toMatch(/^after is not a cursor this list gave/);
    expect(JSON.stringify(r.data ?? null)).not.toContain('"nodes"');
  });

  test("the same filter with its fields in another order, or a null field, keeps its cursors; another value does not", async () => {
    const cursor = await endCursor(t.adminToken, log(`{ method: "GET", status: 200 }`));
    const same = await app.gql(t.adminToken, log(`{ status: 200, tokenId: null, method: "GET" }`), { a: cursor });
    expect(same.errors).toBeUndefined();
    const another = await app.gql(t.adminToken, log(`{ status: 200, method: "POST" }`), { a: cursor });
    expect(another.errors?.map((e) => e.extensions)).toEqual([{ code: "BAD_USER_INPUT", field: "after" }]);
  });
});
