import { CORE_GROUP, CORE_USER, expectScimError, type ScimClient } from "../support/scim-client";
import { useScimTenant } from "../support/scim-tenant";

// An IdP admin reads the provisioning error in the IdP's log: it names every invalid attribute of the
// request, each with what is wrong, not only the first (fixing one at a time took a sync cycle each).

let s: ScimClient;

useScimTenant((tenant) => ({ scim: s } = tenant));

test("POST /Users with three invalid attributes: one 400 invalidValue naming each; nothing written", async () => {
  const r = await s.post("/Users", {
    schemas: [CORE_USER],
    userName: "several@invalid.test",
    profileUrl: "javascript:alert(1)",
    emails: [{ value: "not-an-email" }, { value: "b@invalid.test", type: "t".repeat(70) }],
    phoneNumbers: [{ value: "1".repeat(65) }],
  });
  expectScimError(r, 400, "invalidValue");
  expect(r.body.detail).toBe(
    [
      "profileUrl: profileUrl must be an http:// or https:// URL",
      'emails[0].value: "not-an-email" is not an email address',
      `emails[1].type: emails[1].type is at most 64 characters`,
      `phoneNumbers[0].value: "${"1".repeat(65)}" is not a phone number of at most 64 characters`,
    ].join("; "),
  );
  expect((await s.get('/Users?filter=userName eq "several@invalid.test"')).body.totalResults).toBe(0);
});

test("POST /Groups with a blank displayName and a too-long externalId: both named", async () => {
  const r = await s.post("/Groups", { schemas: [CORE_GROUP], displayName: " ", externalId: "e".repeat(256) });
  expectScimError(r, 400, "invalidValue");
  expect(r.body.detail).toBe("displayName: displayName must not be empty; externalId: externalId is at most 255 characters");
});

test("more than twenty problems: twenty named, the rest counted", async () => {
  const emails = Array.from({ length: 25 }, (_, i) => ({ value: `bad-${i}` }));
  const r = await s.post("/Users", { schemas: [CORE_USER], userName: "many@invalid.test", emails });
  expectScimError(r, 400, "invalidValue");
  expect(r.body.detail.split("; ")).toHaveLength(21);
  expect(r.body.detail).toMatch(/; and 5 more$/);
  expect(r.body.detail).toContain('emails[19].value: "bad-19" is not an email address');
  expect(r.body.detail).not.toContain("bad-20");
});

test("a single invalid attribute reads as it always did", async () => {
  const r = await s.post("/Users", { schemas: [CORE_USER], userName: "one@invalid.test", profileUrl: "ftp://x" });
  expectScimError(r, 400, "invalidValue");
  expect(r.body.detail).toBe("profileUrl: profileUrl must be an http:// or https:// URL");
});
