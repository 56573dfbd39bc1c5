import { type ContactKind, contactValueKey } from "./user-contact.entity";
import { ATTRIBUTE_KEY_LENGTH, attributeKey } from "../shared/normalise";
import { type Comparison, type Criteria, type ColumnSpec, type CriteriaIndexes, type IndexedBy, type ScalarValue, type SqlWhereBuilder, EQUALITY, KEY_INDEX_OPS, unindexedBy, unindexedComparisons } from "../shared/criteria";

/** Fields of a user that queries may name: the whitelist both adapters translate into. */
export const userColumns = {
  id: { column: "u.id", type: "string", caseExact: true },
  userName: { column: "u.userName", type: "string", keyColumn: "u.userNameKey" },
  // externalIdKey is lowerCaseKey(externalId) (UserService), and unique per organisation.
  externalId: { column: "u.externalId", type: "string", caseExact: true, exactKeyColumn: "u.externalIdKey" },
  active: { column: "u.active", type: "boolean" },
  displayName: { column: "u.displayName", type: "string" },
  nickName: { column: "u.nickName", type: "string" },
  nameFormatted: { column: "u.nameFormatted", type: "string" },
  givenName: { column: "u.givenName", type: "string" },
  familyName: { column: "u.familyName", type: "string" },
  middleName: { column: "u.middleName", type: "string" },
  honorificPrefix: { column: "u.honorificPrefix", type: "string" },
  honorificSuffix: { column: "u.honorificSuffix", type: "string" },
  title: { column: "u.title", type: "string" },
  userType: { column: "u.userType", type: "string" },
  preferredLanguage: { column: "u.preferredLanguage", type: "string" },
  locale: { column: "u.locale", type: "string" },
  timezone: { column: "u.timezone", type: "string" },
  profileUrl: { column: "u.profileUrl", type: "string", caseExact: true },
  employeeNumber: { column: "u.employeeNumber", type: "string" },
  // Keyed (attributeKey), indexed with userNameKey: an equality filter reads its users by the index in page order.
  costCenter: { column: "u.costCenter", type: "string", keyColumn: "u.costCenterKey", keyOf: attributeKey, keyLength: ATTRIBUTE_KEY_LENGTH },
  organization: { column: "u.organization", type: "string" },
  division: { column: "u.division", type: "string" },
  department: { column: "u.department", type: "string", keyColumn: "u.departmentKey", keyOf: attributeKey, keyLength: ATTRIBUTE_KEY_LENGTH },
  managerId: { column: "u.managerId", type: "string", caseExact: true },
  createdAt: { column: "u.createdAt", type: "date" },
  updatedAt: { column: "u.updatedAt", type: "date" },
} satisfies Record<string, ColumnSpec>;

export type UserField = keyof typeof userColumns;
export const userSortFields = Object.keys(userColumns) as UserField[];

export type ContactField = "value" | "type" | "primary" | "display";

export type UserRelation =
  /** Some email (or phone) of the user matches `where`. */
  | { kind: "contact"; contact: ContactKind; where: Criteria<ContactField, never> }
  | { kind: "customField"; key: string; op: Comparison; value?: ScalarValue }
  /**
   * The user holds exactly this value of the field: the value is first made canonical by the field's
   * type (a number as stored, `true`/`false`, a day, an enum option), then compared with the stored
   * text byte for byte. `input` names the filter's field in an error.
   */
  | { kind: "customFieldValue"; key: string; value: string; input: string }
  | { kind: "memberOf"; groupId: string }
  | { kind: "hasRole"; role: string }
  /**
   * Some of these fields holds a value: the presence of a complex attribute, as SCIM's `name pr`
   * (RFC 7644 §3.4.2.2), one test as it is written.
   */
  | { kind: "anyPresent"; fields: UserField[] }
  /** Free-text search over names and emails, for people searching a directory. */
  | { kind: "text"; text: string };

export type UserCriteria = Criteria<UserField, UserRelation>;

export function contactColumns(w: SqlWhereBuilder): Record<ContactField, ColumnSpec> {
  return {
    value: { column: "c.value", type: "string", keyColumn: "c.valueKey", keyOf: contactValueKey },
    type: { column: "c.type", type: "string" },
    primary: { column: `c.${w.quote("primary")}`, type: "boolean" },
    display: { column: "c.display", type: "string" },
  };
}

/** The relations a criteria tree names, wherever they sit in it (their definitions or ids are read before it compiles). */
export function relationsOf(c: UserCriteria, into: UserRelation[] = []): UserRelation[] {
  if (c.kind === "and" || c.kind === "or") c.items.forEach((i) => relationsOf(i, into));
  else if (c.kind === "not") relationsOf(c.item, into);
  else if (c.kind === "related") into.push(c.relation);
  return into;
}

/** Besides userName and emails, what the directory's free-text search looks in (case-insensitively). */
export const TEXT_SEARCH_COLUMNS = ["u.displayName", "u.givenName", "u.familyName", "u.externalId"];

const usersBy = (column: string, ops = EQUALITY): IndexedBy => ({ table: "users", columns: [column], ops });

/** The user fields an index serves: the primary key, the unique keys, and the indexes of the filters IdPs send. */
export const userIndexedFields: Partial<Record<UserField, IndexedBy>> = {
  id: usersBy("id"),
  // userName's whole key and updatedAt are ordered indexes: a prefix or a range seeks too.
  userName: usersBy("userNameKey", KEY_INDEX_OPS),
  externalId: usersBy("externalIdKey"),
  updatedAt: usersBy("updatedAt", KEY_INDEX_OPS),
  managerId: usersBy("managerId"),
  department: usersBy("departmentKey"),
  costCenter: usersBy("costCenterKey"),
};

/** A contact's whole value key (organisation, kind, valueKey): equality and a prefix. */
export const contactIndexedFields: Partial<Record<ContactField, IndexedBy>> = {
  value: { table: "user_contacts", columns: ["kind", "valueKey"], ops: new Set(["eq", "sw"]) },
};

/** The indexes that find the users of a relation; group and role relations are equality by id or name. */
export const userRelationIndexes = {
  // The custom field values' lookup index.
  customField: { table: "custom_field_values", columns: ["fieldId", "valueKey"], ops: EQUALITY },
  memberOf: { table: "group_memberships", columns: ["groupId"], ops: EQUALITY },
  hasRole: { table: "role_assignments", columns: ["roleId"], ops: EQUALITY },
} satisfies Record<string, IndexedBy>;

const contactIndexes: CriteriaIndexes<ContactField, never> = { fields: contactIndexedFields, related: () => 0 };

/** What the users' indexes serve; every other comparison counts towards MAX_UNINDEXED_COMPARISONS. */
export const userIndexes: CriteriaIndexes<UserField, UserRelation> = {
  fields: userIndexedFields,
  related(r, negated) {
    switch (r.kind) {
      case "contact":
        return unindexedComparisons(r.where, contactIndexes, negated);
      case "customField":
        return unindexedBy(userRelationIndexes.customField, r.op, negated);
      case "customFieldValue":
        return unindexedBy(userRelationIndexes.customField, "eq", negated);
      case "memberOf":
      case "hasRole":
        return unindexedBy(userRelationIndexes[r.kind], "eq", negated);
      case "anyPresent":
        return 1;
      case "text":
        // `co` on userName, on emails and on each of TEXT_SEARCH_COLUMNS.
        return 2 + TEXT_SEARCH_COLUMNS.length;
    }
  },
};
