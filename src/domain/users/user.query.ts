import { type ContactKind, contactValueKey } from "./user-contact.entity";
import { ATTRIBUTE_KEY_LENGTH, attributeKey } from "../shared/normalise";
import type { Comparison, Criteria, ColumnSpec, ScalarValue, SqlWhereBuilder } from "../shared/criteria";

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
