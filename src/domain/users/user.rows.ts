import { boolOf, dateOf, jsonOf, textOf } from "../../platform/row-values";
import type { UserContact } from "./user-contact.entity";
import { type PostalAddress, User } from "./user.entity";
import { userTextFields } from "./user.service";

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
  for (const f of userTextFields) user[f] = textOf(row[f]);
  user.managerId = textOf(row.managerId);
  user.addresses = jsonOf<PostalAddress[]>(row.addresses);
  user.version = Number(row.version);
  user.createdAt = dateOf(row.createdAt);
  user.updatedAt = dateOf(row.updatedAt);
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
