import type { ColumnSpec, Criteria } from "../shared/criteria";

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
