import { boolOf, dateOf, jsonOf, textOf } from "../../platform/row-values";
import type { UserContact } from "./user-contact.entity";
import type { OwnRow } from "./own-details";
import { type PostalAddress, User } from "./user.entity";

/** A `SELECT u.*` row → a User, as the repository would give it. */
export function userFromRow(row: Record<string, unknown>): User {
  const user = new User();
  user.id = String(row.id);
  user.organisationId = String(row.organisationId);
  user.userName = String(row.userName);
  user.userNameKey = String(row.userNameKey);
  user.externalId = textOf(row.externalId);
  user.externalIdKey = textOf(row.externalIdKey);
  user.active = boolOf(row.active);
  // Written out (not a loop over userTextFields): this runs for every row of every page, and the
  // keyed loop measured ~8× slower. A spec checks that the list matches userTextFields.
  user.displayName = textOf(row.displayName);
  user.nickName = textOf(row.nickName);
  user.nameFormatted = textOf(row.nameFormatted);
  user.givenName = textOf(row.givenName);
  user.familyName = textOf(row.familyName);
  user.middleName = textOf(row.middleName);
  user.honorificPrefix = textOf(row.honorificPrefix);
  user.honorificSuffix = textOf(row.honorificSuffix);
  user.title = textOf(row.title);
  user.userType = textOf(row.userType);
  user.preferredLanguage = textOf(row.preferredLanguage);
  user.locale = textOf(row.locale);
  user.timezone = textOf(row.timezone);
  user.profileUrl = textOf(row.profileUrl);
  user.employeeNumber = textOf(row.employeeNumber);
  user.costCenter = textOf(row.costCenter);
  user.costCenterKey = textOf(row.costCenterKey);
  user.organization = textOf(row.organization);
  user.division = textOf(row.division);
  user.department = textOf(row.department);
  user.departmentKey = textOf(row.departmentKey);
  user.managerId = textOf(row.managerId);
  user.addresses = jsonOf<PostalAddress[]>(row.addresses);
  // Absent from a partial read: unknown, as NULL (the tables are read instead).
  user.ownDetails = jsonOf<OwnRow[]>(row.ownDetails);
  user.version = Number(row.version);
  // Absent from a partial read (a GraphQL page that does not show them): left undefined, not parsed.
  if (row.createdAt !== undefined) user.createdAt = dateOf(row.createdAt);
  if (row.updatedAt !== undefined) user.updatedAt = dateOf(row.updatedAt);
  return user;
}

export function contactFromRow(row: Record<string, unknown>): UserContact {
  return {
    id: String(row.id),
    organisationId: String(row.organisationId),
    userId: String(row.userId),
    kind: row.kind as UserContact["kind"],
    position: Number(row.position),
    value: String(row.value),
    valueKey: String(row.valueKey),
    type: textOf(row.type),
    primary: boolOf(row.primary),
    display: textOf(row.display),
  };
}
