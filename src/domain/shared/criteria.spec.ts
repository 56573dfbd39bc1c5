import { DomainError } from "./domain-error";
import { type Criteria, MAX_UNINDEXED_COMPARISONS, assertFewUnindexedComparisons, unindexedComparisons } from "./criteria";
import { type GroupCriteria, groupIndexes } from "../groups/group.query";
import { type ContactField, type UserCriteria, userIndexes } from "../users/user.query";

const contact = (where: Criteria<ContactField, never>): UserCriteria => ({ kind: "related", relation: { kind: "contact", contact: "email", where } });

test.each<[string, UserCriteria, number]>([
  ["userName eq", { kind: "compare", field: "userName", op: "eq", value: "a" }, 0],
  ["userName sw (its whole key, ordered)", { kind: "compare", field: "userName", op: "sw", value: "a" }, 0],
  ["userName co", { kind: "compare", field: "userName", op: "co", value: "a" }, 1],
  ["userName pr", { kind: "compare", field: "userName", op: "pr" }, 1],
  ["not (userName eq)", { kind: "not", item: { kind: "compare", field: "userName", op: "eq", value: "a" } }, 1],
  ["externalId eq", { kind: "compare", field: "externalId", op: "eq", value: "a" }, 0],
  ["externalId sw", { kind: "compare", field: "externalId", op: "sw", value: "a" }, 1],
  ["department eq, costCenter eq, managerId eq, id eq", { kind: "and", items: (["department", "costCenter", "managerId", "id"] as const).map((field) => ({ kind: "compare" as const, field, op: "eq" as const, value: "x" })) }, 0],
  ["division eq, organization eq, title eq, active eq", { kind: "or", items: (["division", "organization", "title", "active"] as const).map((field) => ({ kind: "compare" as const, field, op: "eq" as const, value: "x" })) }, 4],
  ["updatedAt gt, createdAt gt", { kind: "and", items: [{ kind: "compare", field: "updatedAt", op: "gt", value: new Date(0) }, { kind: "compare", field: "createdAt", op: "gt", value: new Date(0) }] }, 1],
  ["an email's value eq and sw", { kind: "or", items: [contact({ kind: "compare", field: "value", op: "eq", value: "a" }), contact({ kind: "compare", field: "value", op: "sw", value: "a" })] }, 0],
  ["an email's type eq and value co", contact({ kind: "and", items: [{ kind: "compare", field: "type", op: "eq", value: "work" }, { kind: "compare", field: "value", op: "co", value: "a" }] }), 2],
  ["not (an email's value eq)", { kind: "not", item: contact({ kind: "compare", field: "value", op: "eq", value: "a" }) }, 1],
  ["a custom field eq, and its value", { kind: "and", items: [{ kind: "related", relation: { kind: "customField", key: "k", op: "eq", value: "v" } }, { kind: "related", relation: { kind: "customFieldValue", key: "k", value: "v", input: "f" } }] }, 0],
  ["a custom field co, pr", { kind: "and", items: [{ kind: "related", relation: { kind: "customField", key: "k", op: "co", value: "v" } }, { kind: "related", relation: { kind: "customField", key: "k", op: "pr" } }] }, 2],
  ["member of, role", { kind: "or", items: [{ kind: "related", relation: { kind: "memberOf", groupId: "g" } }, { kind: "related", relation: { kind: "hasRole", role: "r" } }] }, 0],
  ["not (member of or role)", { kind: "not", item: { kind: "or", items: [{ kind: "related", relation: { kind: "memberOf", groupId: "g" } }, { kind: "related", relation: { kind: "hasRole", role: "r" } }] } }, 2],
  ["the name present (one test as written)", { kind: "related", relation: { kind: "anyPresent", fields: ["givenName", "familyName"] } }, 1],
  ["free text: co on userName, emails and 4 columns", { kind: "related", relation: { kind: "text", text: "a" } }, 6],
])("users: %s → %i comparisons no index serves", (_, criteria, n) => {
  expect(unindexedComparisons(criteria, userIndexes)).toBe(n);
});

test.each<[string, GroupCriteria, number]>([
  ["displayName eq, sw; externalId eq; id eq; updatedAt ge", { kind: "and", items: [{ kind: "compare", field: "displayName", op: "eq", value: "a" }, { kind: "compare", field: "displayName", op: "sw", value: "a" }, { kind: "compare", field: "externalId", op: "eq", value: "a" }, { kind: "compare", field: "id", op: "eq", value: "a" }, { kind: "compare", field: "updatedAt", op: "ge", value: new Date(0) }] }, 0],
  ["displayName co, externalId sw, createdAt gt", { kind: "and", items: [{ kind: "compare", field: "displayName", op: "co", value: "a" }, { kind: "compare", field: "externalId", op: "sw", value: "a" }, { kind: "compare", field: "createdAt", op: "gt", value: new Date(0) }] }, 3],
  ["has this member; not (has this member)", { kind: "and", items: [{ kind: "related", relation: { kind: "hasMember", memberId: "m" } }, { kind: "not", item: { kind: "related", relation: { kind: "hasMember", memberId: "m" } } }] }, 1],
  ["has members; free text", { kind: "and", items: [{ kind: "related", relation: { kind: "hasMembers" } }, { kind: "related", relation: { kind: "text", text: "a" } }] }, 2],
])("groups: %s → %i comparisons no index serves", (_, criteria, n) => {
  expect(unindexedComparisons(criteria, groupIndexes)).toBe(n);
});

test(`more than ${MAX_UNINDEXED_COMPARISONS} comparisons no index serves are refused (QUERY_TOO_COSTLY), naming the bound; indexed ones are not counted`, () => {
  const scans = (n: number): UserCriteria[] => Array.from({ length: n }, () => ({ kind: "compare", field: "title", op: "co", value: "e" }));
  const indexed: UserCriteria[] = Array.from({ length: 60 }, (_, i) => ({ kind: "compare", field: "userName", op: "eq", value: `u${i}` }));
  expect(() => assertFewUnindexedComparisons({ kind: "or", items: [...indexed, ...scans(10)] }, userIndexes)).not.toThrow();
  let refused: unknown;
  try {
    assertFewUnindexedComparisons({ kind: "or", items: scans(11) }, userIndexes);
  } catch (err) {
    refused = err;
  }
  expect(refused).toBeInstanceOf(DomainError);
  expect(refused).toMatchObject({ code: "QUERY_TOO_COSTLY", message: expect.stringContaining("more than 10 comparisons that no index serves") });
});
