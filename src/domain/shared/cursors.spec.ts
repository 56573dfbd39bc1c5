import { CursorKeys, Cursors, MAX_CURSOR_LENGTH } from "./cursors";
import { DomainError } from "./domain-error";

const keys = CursorKeys.fromSecret("a-secret-of-this-deployment-0123456789abcdef");
const ORG = "0190b1c2-0000-7000-8000-000000000001";
const OTHER_ORG = "0190b1c2-0000-7000-8000-000000000002";
const users = keys.forList(ORG, "users", { kind: "and", items: [] });

/** What `open` threw, as the API shows it (code and field), or "opened" with the key. */
function outcome(open: () => string | undefined): unknown {
  try {
    return { opened: open() };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { code: err.code, field: err.details.field };
  }
}
const refused = { code: "INVALID_INPUT", field: "after" };

describe("list cursors", () => {
  test("a cursor opens to its key in the list that gave it; it is URL-safe and does not show the key", () => {
    for (const key of ["alice@example.test", "", "ärger@exämple.test", '["2026-11-25T03:00:00.000Z","0190b1c2-0000-7000-8000-0000000000aa"]']) {
      const cursor = users.seal(key);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(cursor).not.toContain(Buffer.from(key, "utf8").toString("base64url") || "never");
      if (key) expect(Buffer.from(cursor, "base64url").includes(Buffer.from(key, "utf8"))).toBe(false);
      expect(outcome(() => users.open(cursor))).toEqual({ opened: key });
    }
    // A typical userName's cursor: its key's length and 29 bytes, in base64.
    expect(users.seal("alice@example.test").length).toBe(Math.ceil(((18 + 29) * 4) / 3));
  });

  test("the same position of the same list gives the same cursor; another list, filter or organisation another", () => {
    const cursor = users.seal("alice@example.test");
    expect(keys.forList(ORG, "users", { kind: "and", items: [] }).seal("alice@example.test")).toBe(cursor);
    const others = [
      keys.forList(OTHER_ORG, "users", { kind: "and", items: [] }),
      keys.forList(ORG, "groups", { kind: "and", items: [] }),
      keys.forList(ORG, "users", { kind: "and", items: [{ kind: "compare", field: "active", op: "eq", value: true }] }),
    ].map((c) => c.seal("alice@example.test"));
    expect(new Set([cursor, ...others]).size).toBe(4);
  });

  test("no cursor is the first page", () => {
    expect([users.open(null), users.open(undefined), users.open("")]).toEqual([undefined, undefined, undefined]);
  });

  test("a cursor of another organisation, list or filter is refused, naming after", () => {
    const cursor = users.seal("alice@example.test");
    const elsewhere = {
      "another organisation": keys.forList(OTHER_ORG, "users", { kind: "and", items: [] }),
      "another list": keys.forList(ORG, "groups", { kind: "and", items: [] }),
      "the group members list": keys.forList(ORG, "groupMembers", { kind: "and", items: [] }),
      "another filter": keys.forList(ORG, "users", { kind: "and", items: [{ kind: "related", relation: { kind: "text", text: "alice" } }] }),
      "another deployment": CursorKeys.fromSecret("another-deployment-secret-0123456789abcdef").forList(ORG, "users", { kind: "and", items: [] }),
    };
    expect(Object.fromEntries(Object.entries(elsewhere).map(([name, list]) => [name, outcome(() => list.open(cursor))]))).toEqual(
      Object.fromEntries(Object.keys(elsewhere).map((name) => [name, refused])),
    );
  });

  test("the same filter binds the same cursors whatever the order of its fields, nulls left out, dates as instants", () => {
    const since = new Date("2026-11-01T00:00:00.000Z");
    const cursor = keys.forList(ORG, "auditEvents", { action: "user.updated", since, source: null }).seal("k");
    expect(outcome(() => keys.forList(ORG, "auditEvents", { since: new Date(since.getTime()), action: "user.updated" }).open(cursor))).toEqual({ opened: "k" });
    expect(outcome(() => keys.forList(ORG, "auditEvents", { action: "user.updated" }).open(cursor))).toEqual(refused);
    expect(outcome(() => keys.forList(ORG, "auditEvents", { action: "user.updated", since: new Date("2026-11-02T00:00:00.000Z") }).open(cursor))).toEqual(refused);
    expect(outcome(() => keys.forList(ORG, "auditEvents", null).open(keys.forList(ORG, "auditEvents", {}).seal("k")))).toEqual({ opened: "k" });
    // A nested input object of nothing filters nothing; one with a value is another filter.
    const all = keys.forList(ORG, "auditEvents", {}).seal("k");
    expect(outcome(() => keys.forList(ORG, "auditEvents", { actor: {}, source: undefined }).open(all))).toEqual({ opened: "k" });
    expect(outcome(() => keys.forList(ORG, "auditEvents", { actor: { label: null } }).open(all))).toEqual({ opened: "k" });
    expect(outcome(() => keys.forList(ORG, "auditEvents", { actor: { type: "token" } }).open(all))).toEqual(refused);
    // Arrays keep their order and their items (a users' criteria tree).
    expect(outcome(() => keys.forList(ORG, "users", { kind: "and", items: [{}] }).open(users.seal("k")))).toEqual(refused);
  });

  test("a cursor altered anywhere is refused: each byte changed, cut short, lengthened", () => {
    const cursor = users.seal("alice@example.test");
    const bytes = Buffer.from(cursor, "base64url");
    const answers = new Set<string>();
    for (let i = 0; i < bytes.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const altered = Buffer.from(bytes);
        altered[i] ^= bit;
        answers.add(JSON.stringify(outcome(() => users.open(altered.toString("base64url")))));
      }
    }
    answers.add(JSON.stringify(outcome(() => users.open(bytes.subarray(0, bytes.length - 1).toString("base64url")))));
    answers.add(JSON.stringify(outcome(() => users.open(Buffer.concat([bytes, Buffer.of(0)]).toString("base64url")))));
    answers.add(JSON.stringify(outcome(() => users.open(bytes.subarray(0, 20).toString("base64url")))));
    // Text that decodes to the same bytes but is not what seal wrote: padding, a character base64 skips, standard base64.
    for (const text of [`${cursor}=`, `${cursor}!`, ` ${cursor}`, bytes.toString("base64")]) if (text !== cursor) answers.add(JSON.stringify(outcome(() => users.open(text))));
    expect([...answers]).toEqual([JSON.stringify(refused)]);
  });

  test("cursors from before (the key in base64url) are refused", () => {
    const old = (key: string) => Buffer.from(key, "utf8").toString("base64url");
    const answers = [
      "alice@example.test",
      "a".repeat(255),
      '["2026-11-25T03:00:00.000Z","0190b1c2-0000-7000-8000-0000000000aa"]',
      "0190b1c2-0000-7000-8000-0000000000aa",
      "\u0001".repeat(40),
    ].map((key) => outcome(() => users.open(old(key))));
    expect(answers).toEqual(answers.map(() => refused));
  });

  test("the longest key (255 characters of 4 bytes) fits under MAX_CURSOR_LENGTH; anything longer is refused before decoding", () => {
    const longest = "😀".repeat(255);
    const cursor = users.seal(longest);
    expect(cursor.length).toBe(MAX_CURSOR_LENGTH);
    expect(outcome(() => users.open(cursor))).toEqual({ opened: longest });
    // 255 ASCII characters (284 bytes sealed): 379 characters of cursor.
    expect(users.seal("a".repeat(255)).length).toBe(379);
    expect(outcome(() => users.open("A".repeat(MAX_CURSOR_LENGTH + 1)))).toEqual(refused);
    expect(outcome(() => users.open("A".repeat(100_000)))).toEqual(refused);
  });
});

describe("Cursors (the deployment's keys)", () => {
  const ctx = { organisationId: ORG, actor: { type: "system" as const, id: null, label: "test" }, source: "system" as const, requestId: "r" };

  test("reads the shared secret once; two instances with the same secret open each other's cursors", async () => {
    let reads = 0;
    const one = new Cursors(async () => (reads++, "shared-secret-0123456789abcdef-0123456789"));
    const other = new Cursors(async () => "shared-secret-0123456789abcdef-0123456789");
    await one.ready();
    const cursor = (await one.forList(ctx, "groups", {})).seal("engineering");
    expect((await other.forList(ctx, "groups", {})).open(cursor)).toBe("engineering");
    await one.forList(ctx, "users", {});
    expect(reads).toBe(1);
  });

  test("a secret that could not be read is read again next time", async () => {
    let reads = 0;
    const cursors = new Cursors(async () => {
      if (reads++ === 0) throw new Error("database unavailable");
      return "shared-secret-0123456789abcdef-0123456789";
    });
    await expect(cursors.ready()).rejects.toThrow("database unavailable");
    await expect(cursors.forList(ctx, "users", {})).resolves.toBeDefined();
    expect(reads).toBe(2);
  });
});
