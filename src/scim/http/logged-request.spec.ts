import { redactBody } from "../../domain/provisioning-log/redact-body";
import { loggedBody, loggedTarget, relogged } from "./logged-request";

const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const NEW = "N3w-Passw0rd";
const SECRET = "Hunter2-Sekret";

/** What the provisioning log keeps of a body: the SCIM adapter's reading, then the log's own. */
const kept = (body: unknown) => redactBody(loggedBody(body));
const patch = (...Operations: Record<string, unknown>[]) => ({ schemas: [PATCH_OP], Operations });

describe("a PATCH operation's value, as the log keeps it", () => {
  // The SCIM adapter reads the path with the PATCH engine's parser; the log reads names only.
  it.each([
    ["password", "[redacted]"],
    ["PASSWORD ", "[redacted]"],
    ["urn:ietf:params:scim:schemas:core:2.0:User:password", "[redacted]"],
    [`password[value eq "${SECRET}"]`, "[redacted]"],
    [`emails[type eq "work"].password`, "[redacted]"],
    [`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].Password`, "[redacted]"],
    [`x509Certificates[value eq "a"].token`, "[redacted]"],
    ["name.password", "[redacted]"],
    // Paths the engine refuses: any secret's name in them is enough.
    [`password eq "${SECRET}"`, "[redacted]"],
    [`password[value eq "${SECRET}"`, "[redacted]"],
    [`password[value eq ${SECRET}]`, "[redacted]"],
    // The value of another attribute, even one filtered on a password, is not a secret.
    [`emails[value eq "a@x.test" and password eq "${SECRET}"]`, NEW],
    [`emails[type eq "password"]`, NEW],
    ["title", NEW],
    ["passwordHint", NEW],
  ])("path %s: value %s", (path, value) => {
    const [op] = (kept(patch({ op: "replace", path, value: NEW })) as { Operations: Record<string, unknown>[] }).Operations;
    expect(op.value).toBe(value);
    expect(JSON.stringify(op)).not.toContain(SECRET);
  });

  it("reads member names in any case, and inside /Bulk", () => {
    const body = {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
      Operations: [{ method: "PATCH", path: "/Users/1", data: patch({ Op: "replace", Path: `emails[type eq "work"].password`, VALUE: NEW }, { op: "add", PATH: "title", Value: "kept" }) }],
    };
    expect(kept(body)).toEqual({
      ...body,
      Operations: [{ method: "PATCH", path: "/Users/1", data: patch({ Op: "replace", Path: `emails[type eq "work"].password`, VALUE: "[redacted]" }, { op: "add", PATH: "title", Value: "kept" }) }],
    });
  });

  it("leaves a body with nothing to redact as the same object", () => {
    const body = patch({ op: "replace", path: "title", value: "x" }, { op: "remove", path: 'emails[type eq "work"]' });
    expect(loggedBody(body)).toBe(body);
    expect(loggedTarget("/scim/v2/Users?filter=userName%20eq%20%22a%22")).toBe("/scim/v2/Users?filter=userName%20eq%20%22a%22");
  });
});

describe("a query string's filter, as the log keeps it", () => {
  // Decoded as the router decodes it: letters of the name and of "filter" may come percent-encoded.
  it.each([
    [`/scim/v2/Users?filter=pa%73sword%20eq%20%22${SECRET}%22`, "/scim/v2/Users?filter=password%20eq%20%22%5Bredacted%5D%22"],
    [`/scim/v2/Users?filter=%70%61%73%73%77%6F%72%64+eq+${SECRET}&count=1`, "/scim/v2/Users?filter=password%20eq%20%5Bredacted%5D&count=1"],
    [`/scim/v2/Users?fil%74er=%50ASSWORD%20eq%20%22${SECRET}%22`, "/scim/v2/Users?fil%74er=PASSWORD%20eq%20%22%5Bredacted%5D%22"],
    // Encoded twice: the router reads "%70assword", which is not password.
    [`/scim/v2/Users?filter=%2570assword%20eq%20%22x%22`, `/scim/v2/Users?filter=%2570assword%20eq%20%22x%22`],
  ])("%s", (url, logged) => {
    expect(loggedTarget(url)).toBe(logged);
  });
});

describe("relogged (migration RedactLoggedSecrets)", () => {
  it.each([
    `password eq ${SECRET}`,
    `password eq "${SECRET}"`,
    `userName eq "a" and password eq "x" ${SECRET}`,
    `emails[value eq "a@x.test" and password eq "${SECRET}"]`,
    "userName eq bob",
  ])("changes nothing the live code wrote: %s", (filter) => {
    const path = loggedTarget(`/scim/v2/Users?filter=${encodeURIComponent(filter)}`);
    const requestBody = JSON.parse(JSON.stringify(kept({ filter, Operations: [{ op: "replace", path: filter, value: NEW }] })));
    expect(relogged({ path, errorDetail: null, requestBody })).toEqual({});
  });
});
