import "reflect-metadata";
import { MAX_UNINDEXED_COMPARISONS, unindexedComparisons } from "../../domain/shared/criteria";
import { groupIndexes } from "../../domain/groups/group.query";
import { userIndexes } from "../../domain/users/user.query";
import { groupCriteria } from "../groups/group.graphql";
import { userCriteria } from "./user.resolver";

/**
 * GraphQL's filters are a fixed set of fields, under the domain's bound on comparisons no index serves
 * like any criteria. Every field at once stays under it: a field added here that scans would show.
 */
test(`every users(filter:) field at once makes 9 comparisons no index serves (text 6, active, division, organization), under ${MAX_UNINDEXED_COMPARISONS}`, () => {
  const everyField = { text: "a", userName: "a", externalId: "a", active: true, groupId: "g", role: "r", managerId: "m", department: "d", division: "d", costCenter: "c", organization: "o", customField: { name: "k", value: "v" } };
  expect(unindexedComparisons(userCriteria(everyField), userIndexes)).toBe(9);
});

test("every groups(filter:) field at once makes 1 (text)", () => {
  expect(unindexedComparisons(groupCriteria({ text: "a", displayName: "a", externalId: "a", memberId: "m" }), groupIndexes)).toBe(1);
});
