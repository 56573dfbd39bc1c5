import { type ColumnSpec, type Criteria, type CriteriaIndexes, type IndexedBy, EQUALITY, KEY_INDEX_OPS, unindexedBy } from "../shared/criteria";

export const groupColumns = {
  id: { column: "g.id", type: "string", caseExact: true },
  displayName: { column: "g.displayName", type: "string", keyColumn: "g.displayNameKey" },
  externalId: { column: "g.externalId", type: "string", caseExact: true },
  createdAt: { column: "g.createdAt", type: "date" },
  updatedAt: { column: "g.updatedAt", type: "date" },
} satisfies Record<string, ColumnSpec>;

export type GroupField = keyof typeof groupColumns;

export type GroupRelation =
  /** The group directly contains this member (user or group id). */
  | { kind: "hasMember"; memberId: string }
  /** The group has at least one member. */
  | { kind: "hasMembers" }
  | { kind: "text"; text: string };

export type GroupCriteria = Criteria<GroupField, GroupRelation>;

const groupsBy = (column: string, ops = EQUALITY): IndexedBy => ({ table: "groups", columns: [column], ops });

/** The group fields an index serves: the primary key, the unique displayName key, externalId and updatedAt. */
export const groupIndexedFields: Partial<Record<GroupField, IndexedBy>> = {
  id: groupsBy("id"),
  // displayName's whole key and updatedAt are ordered indexes: a prefix or a range seeks too.
  displayName: groupsBy("displayNameKey", KEY_INDEX_OPS),
  externalId: groupsBy("externalId"),
  updatedAt: groupsBy("updatedAt", KEY_INDEX_OPS),
};

/** The index that finds the groups containing a member. */
export const groupRelationIndexes = {
  hasMember: { table: "group_memberships", columns: ["memberId"], ops: EQUALITY },
} satisfies Record<string, IndexedBy>;

/** What the groups' indexes serve; every other comparison counts towards MAX_UNINDEXED_COMPARISONS. */
export const groupIndexes: CriteriaIndexes<GroupField, GroupRelation> = {
  fields: groupIndexedFields,
  related(r, negated) {
    switch (r.kind) {
      case "hasMember":
        return unindexedBy(groupRelationIndexes.hasMember, "eq", negated);
      // A membership probe per group; `co` on displayName.
      case "hasMembers":
      case "text":
        return 1;
    }
  },
};
