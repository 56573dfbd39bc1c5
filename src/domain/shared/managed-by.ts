import { invalidInput } from "./domain-error";

/**
 * Who manages part of a user's data that an IdP can also write (the organisation's roles, one
 * custom field). `identityProvider` (the default): SCIM writes set it like any other attribute, so
 * a PUT without it clears it (RFC 7644 §3.5.1). `product`: it is set in the product only; SCIM writes
 * leave it as it is and ignore what an IdP sends (§3.5.1 lets a service provider keep attributes a PUT omits).
 */
export const MANAGED_BY = ["identityProvider", "product"] as const;
export type ManagedBy = (typeof MANAGED_BY)[number];

/** `value` as a ManagedBy, or INVALID_INPUT naming `field`. */
export function validateManagedBy(field: string, value: string): ManagedBy {
  if (!(MANAGED_BY as readonly string[]).includes(value)) throw invalidInput(field, `${field} must be one of ${MANAGED_BY.join(", ")}`);
  return value as ManagedBy;
}
