import { type ScimClient } from "../support/scim-client";
import type { TestApp, TestTenant } from "../support/test-app";
import { useScimTenant } from "../support/scim-tenant";

/**
 * Names that differ only by an accent are different names. Their case-insensitive keys (NFC, trimmed,
 * lower-cased in JavaScript) are compared byte for byte on both databases: on MariaDB the key columns
 * had the database's default collation (utf8mb4_general_ci / unicode_ci), for which "jose" and "josé"
 * are equal, so a lookup of jose@ answered josé@'s account to the IdP and creating jose@ was a 409.
 */
let app: TestApp;
let t: TestTenant;
let c: ScimClient;

useScimTenant((tenant) => ({ app, t, scim: c } = tenant));

const filter = (path: string, f: string) => c.get(`${path}?filter=${encodeURIComponent(f)}`);

test("users whose userName, externalId or email differ only by an accent are distinct, and each lookup finds its own", async () => {
  const accented = await c.post("/Users", { userName: "josé@acme.test", externalId: "Ext-José", emails: [{ value: "josé@mail.acme.test", primary: true }] });
  const plain = await c.post("/Users", { userName: "jose@acme.test", externalId: "Ext-Jose", emails: [{ value: "jose@mail.acme.test", primary: true }] });
  expect([accented.status, plain.status]).toEqual([201, 201]);
  for (const [who, r] of [["josé", accented], ["jose", plain]] as const) {
    for (const f of [`userName eq "${who}@acme.test"`, `userName eq "${who.toUpperCase()}@ACME.TEST"`, `externalId eq "Ext-${who === "josé" ? "José" : "Jose"}"`, `emails.value eq "${who}@mail.acme.test"`]) {
      const found = await filter("/Users", f);
      expect({ f, ids: found.body.Resources.map((u: { id: string }) => u.id) }).toEqual({ f, ids: [r.body.id] });
    }
  }
  // Substring filters match the same keys: accents count, case does not.
  const matching = async (f: string) => (await filter("/Users", f)).body.Resources.map((u: { userName: string }) => u.userName).sort();
  expect(await matching('userName sw "JOS"')).toEqual(["jose@acme.test", "josé@acme.test"]);
  expect(await matching('userName sw "JOSÉ"')).toEqual(["josé@acme.test"]);
  expect(await matching('userName co "sé@"')).toEqual(["josé@acme.test"]);
  expect(await matching('userName ew "SE@ACME.TEST"')).toEqual(["jose@acme.test"]);
  expect(await matching('emails.value sw "josé@"')).toEqual(["josé@acme.test"]);
  // Ordering filters compare keys too (code point order): "jose@…" < "josé@…".
  expect(await matching('userName gt "JOSE@acme.test"')).toEqual(["josé@acme.test"]);
  expect(await matching('userName le "jose@ACME.test"')).toEqual(["jose@acme.test"]);
  // The same name again is still a conflict, whatever its case.
  const again = await c.post("/Users", { userName: "JOSÉ@acme.test" });
  expect({ status: again.status, scimType: again.body.scimType }).toEqual({ status: 409, scimType: "uniqueness" });
  // Paging in userName order shows both (the seek compares keys as the unique index does).
  const page1 = await c.get("/Users?startIndex=1&count=1");
  const page2 = await c.get("/Users?startIndex=2&count=1");
  expect([page1.body.Resources[0].userName, page2.body.Resources[0].userName].sort()).toEqual(["jose@acme.test", "josé@acme.test"]);
});

test("groups and roles whose names differ only by an accent are distinct", async () => {
  const a = await c.post("/Groups", { displayName: "Équipe Paris" });
  const b = await c.post("/Groups", { displayName: "Equipe Paris" });
  expect([a.status, b.status]).toEqual([201, 201]);
  expect((await filter("/Groups", 'displayName eq "equipe paris"')).body.Resources.map((g: { id: string }) => g.id)).toEqual([b.body.id]);
  expect((await filter("/Groups", 'displayName eq "ÉQUIPE PARIS"')).body.Resources.map((g: { id: string }) => g.id)).toEqual([a.body.id]);
  const gerant = await app.services.roles.create(t.ctx, { name: "Gérant" });
  const plain = await app.services.roles.create(t.ctx, { name: "Gerant" });
  expect(gerant.id).not.toBe(plain.id);
  const u = await app.services.users.create(t.ctx, { userName: "role-holder@acme.test", roles: ["gérant"] });
  expect((await app.services.roles.rolesOfUsers(t.ctx, [u.id])).get(u.id)!.map((r) => r.name)).toEqual(["Gérant"]);
});

// An equality filter must compute the key exactly as the write stored it. Contact keys are the
// trimmed value lower-cased, custom-value keys the value lower-cased and cut at 255 characters; the
// filter NFC-normalised the text and never cut it, so the first and the fourth lookup found nobody.
test("emails.value eq and custom value eq find values whose key the write did not NFC-normalise or could not hold whole", async () => {
  const PRODUCT = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";
  const decomposed = "ame\u0301lie@mail.acme.test";
  const long = `Région ${"x".repeat(300)}`;
  const u = await c.post("/Users", { userName: "keys@acme.test", emails: [{ value: decomposed, primary: true }, { value: " padded@mail.acme.test" }], [PRODUCT]: { area: long } });
  expect(u.status).toBe(201);
  const ids = async (f: string) => (await filter("/Users", f)).body.Resources.map((r: { id: string }) => r.id);
  expect(await ids(`emails.value eq "${decomposed}"`)).toEqual([u.body.id]);
  expect(await ids(`emails.value eq "${decomposed.toUpperCase()}"`)).toEqual([u.body.id]);
  expect(await ids('emails.value eq " padded@mail.acme.test"')).toEqual([u.body.id]);
  expect(await ids(`${PRODUCT}:area eq "${long.toLowerCase()}"`)).toEqual([u.body.id]);
  // A value with the same first 255 characters is another value.
  expect(await ids(`${PRODUCT}:area eq "${long.slice(0, 290)}"`)).toEqual([]);
});

test("the directory's free-text search (GraphQL filter.text) matches names by their keys: any case, any Unicode form, accents count", async () => {
  await c.post("/Users", { userName: "zoé@search.acme.test", displayName: "Zoé Search" });
  await c.post("/Users", { userName: "zoe@search.acme.test", displayName: "Zoe Search" });
  await c.post("/Groups", { displayName: "Zoé's group" });
  const users = async (text: string) =>
    ((await app.gql<{ users: { nodes: { userName: string }[] } }>(t.adminToken, `query($text: String!) { users(first: 10, filter: { text: $text }) { nodes { userName } } }`, { text })).data!.users.nodes.map((n) => n.userName)).sort();
  const groups = async (text: string) =>
    (await app.gql<{ groups: { nodes: { displayName: string }[] } }>(t.adminToken, `query($text: String!) { groups(first: 10, filter: { text: $text }) { nodes { displayName } } }`, { text })).data!.groups.nodes.map((n) => n.displayName);
  // "ZOE\u0301@": upper case, e + combining acute (decomposed): the keys are NFC and lower-cased.
  expect(await users("ZOE\u0301@")).toEqual(["zoé@search.acme.test"]);
  expect(await users("zoe@")).toEqual(["zoe@search.acme.test"]);
  expect(await users("@SEARCH.acme")).toEqual(["zoe@search.acme.test", "zoé@search.acme.test"]);
  expect(await groups("ZOE\u0301'S")).toEqual(["Zoé's group"]);
});
