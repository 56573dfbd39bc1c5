import { OrganisationCache } from "./organisation-cache";

/** Outside a transaction, as Database.afterCommit runs a hook: at once. */
const noTransaction = { afterCommit: async (_ctx: unknown, hook: () => Promise<void>) => hook() };

describe("OrganisationCache", () => {
  test("keeps a value per organisation for ttlMs; forget drops it at once", async () => {
    const cache = new OrganisationCache<number>(noTransaction, 60_000);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get({ organisationId: "a" }, load)).toBe(1);
    expect(await cache.get({ organisationId: "a" }, load)).toBe(1);
    expect(await cache.get({ organisationId: "b" }, load)).toBe(2);
    cache.forget("a");
    expect(await cache.get({ organisationId: "a" }, load)).toBe(3);
    expect(await cache.get({ organisationId: "a" }, load, true)).toBe(4);
  });

  test("a value loaded while it was forgotten is returned but not kept", async () => {
    const cache = new OrganisationCache<string>(noTransaction, 60_000);
    let release!: () => void;
    const slow = cache.get({ organisationId: "a" }, () => new Promise<string>((resolve) => (release = () => resolve("old"))));
    cache.forget("a");
    release();
    expect(await slow).toBe("old");
    expect(await cache.get({ organisationId: "a" }, async () => "new")).toBe("new");
  });

  test("keeps at most maxOrganisations, dropping the least recently loaded", async () => {
    const cache = new OrganisationCache<string>(noTransaction, 60_000, 3);
    const loaded: string[] = [];
    const get = (org: string) => cache.get({ organisationId: org }, async () => (loaded.push(org), org));
    for (const org of ["a", "b", "c"]) await get(org);
    await get("d"); // drops a
    await get("b"); // kept: no load
    await get("a"); // loaded again, drops b (loaded before c and d)
    await get("c");
    await get("b");
    expect(loaded).toEqual(["a", "b", "c", "d", "a", "b"]);
  });
});
