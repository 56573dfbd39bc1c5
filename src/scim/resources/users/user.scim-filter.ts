import type { CustomFieldDefinition } from "../../../domain/custom-fields/custom-field-definition.entity";
import type { Comparison, Criteria, ScalarValue } from "../../../domain/shared/criteria";
import type { ContactField, UserCriteria, UserField } from "../../../domain/users/user.query";
import { type AttrPath, type Filter, URN_ENTERPRISE_USER, invalidFilter } from "../../protocol";
import { type FilterTarget, filterToCriteria, typedValue } from "../scim-filter";

/** SCIM attribute → user column: the whitelist of what a filter or sortBy may name. */
const CORE: Record<string, UserField> = {
  id: "id",
  userName: "userName",
  externalId: "externalId",
  active: "active",
  displayName: "displayName",
  nickName: "nickName",
  title: "title",
  userType: "userType",
  preferredLanguage: "preferredLanguage",
  locale: "locale",
  timezone: "timezone",
  profileUrl: "profileUrl",
  "name.formatted": "nameFormatted",
  "name.givenName": "givenName",
  "name.familyName": "familyName",
  "name.middleName": "middleName",
  "name.honorificPrefix": "honorificPrefix",
  "name.honorificSuffix": "honorificSuffix",
  "meta.created": "createdAt",
  "meta.lastModified": "updatedAt",
};
const ENTERPRISE: Record<string, UserField> = {
  employeeNumber: "employeeNumber",
  costCenter: "costCenter",
  organization: "organization",
  division: "division",
  department: "department",
  manager: "managerId",
  "manager.value": "managerId",
};
const TYPES: Partial<Record<UserField, "boolean" | "date">> = { active: "boolean", createdAt: "date", updatedAt: "date" };
const CONTACTS = { emails: "email", phoneNumbers: "phone" } as const;

const key = (p: AttrPath) => (p.subAttribute ? `${p.attribute}.${p.subAttribute}` : p.attribute);

/** The user column a (resolved) SCIM path stands for, if it is a plain column. */
export function userColumnOf(path: AttrPath): UserField | undefined {
  if (!path.schema) return CORE[key(path)];
  if (path.schema === URN_ENTERPRISE_USER) return ENTERPRISE[key(path)];
  return undefined;
}

function contactCriteria(inner: Filter): Criteria<ContactField, never> {
  return filterToCriteria<ContactField, never>(inner, {
    attribute(path, op, value) {
      const field = path.attribute as ContactField;
      if (!["value", "type", "primary", "display"].includes(field)) return undefined;
      return { kind: "compare", field, op, value: typedValue(field === "primary" ? "boolean" : "string", value, path.attribute) };
    },
    valuePath: () => undefined,
  });
}

/** Member-of and role filters only make sense as equality on the value. */
function equalityValues(inner: Filter, shown: string): string[] {
  if (inner.kind === "or") return [...equalityValues(inner.left, shown), ...equalityValues(inner.right, shown)];
  if (inner.kind === "compare" && inner.op === "eq" && ["value", "display"].includes(inner.path.attribute) && typeof inner.value === "string") return [inner.value];
  throw invalidFilter(`"${shown}" can only be filtered with value eq "…"`);
}

/**
 * A filter's value for a custom field, typed as a core attribute's is: a value the field's type
 * cannot hold ("abc" or true for a number, "maybe" for a boolean, "yesterday" for a date) is a filter
 * the server cannot evaluate, invalidFilter (RFC 7644 §3.4.2.2), not a comparison that finds nobody.
 */
function customFieldValue(def: CustomFieldDefinition, value: unknown, shown: string): ScalarValue {
  switch (def.type) {
    case "number":
      return typedValue("number", value, shown);
    case "boolean":
      return typedValue("boolean", value, shown);
    case "date":
      // Checked as a dateTime, compared as the stored day's text (as before).
      typedValue("date", value, shown);
      return value as string | null;
    case "string":
    case "enum":
      return typedValue("string", value, shown);
  }
}

export function userFilterToCriteria(filter: Filter, extensionUrn: string, definitions: readonly CustomFieldDefinition[]): UserCriteria {
  const target: FilterTarget<UserField, UserCriteria extends Criteria<UserField, infer R> ? R : never> = {
    attribute(path, op: Comparison, value) {
      const column = userColumnOf(path);
      if (column) return { kind: "compare", field: column, op, value: op === "pr" ? null : typedValue(TYPES[column] ?? "string", value, key(path)) };
      // RFC 7644 §3.4.2.2: a complex attribute (`name`) is present when any of its sub-attributes is.
      const parts = op === "pr" && !path.schema && !path.subAttribute ? Object.entries(CORE).filter(([k]) => k.startsWith(`${path.attribute}.`)) : [];
      if (parts.length) return { kind: "related", relation: { kind: "anyPresent", fields: parts.map(([, field]) => field) } };
      if (!path.schema && path.attribute in CONTACTS) {
        const sub = path.subAttribute ?? "value";
        return this.valuePath({ attribute: path.attribute }, op === "pr" && !path.subAttribute ? { kind: "present", path: { attribute: "value" } } : op === "pr" ? { kind: "present", path: { attribute: sub } } : { kind: "compare", path: { attribute: sub }, op, value: value as string });
      }
      if (!path.schema && (path.attribute === "groups" || path.attribute === "roles") && (path.subAttribute ?? "value") === "value") {
        if (op !== "eq" || typeof value !== "string") throw invalidFilter(`"${path.attribute}" can only be filtered with eq`);
        return this.valuePath({ attribute: path.attribute }, { kind: "compare", path: { attribute: "value" }, op: "eq", value });
      }
      if (path.schema && path.schema.toLowerCase() === extensionUrn.toLowerCase() && !path.subAttribute) {
        const def = definitions.find((d) => d.key.toLowerCase() === path.attribute.toLowerCase());
        if (!def) return undefined;
        return { kind: "related", relation: { kind: "customField", key: def.key, op, value: op === "pr" ? null : customFieldValue(def, value, `${path.schema}:${def.key}`) } };
      }
      return undefined;
    },
    valuePath(path, inner) {
      if (path.schema) return undefined;
      if (path.attribute in CONTACTS) return { kind: "related", relation: { kind: "contact", contact: CONTACTS[path.attribute as keyof typeof CONTACTS], where: contactCriteria(inner) } };
      if (path.attribute === "groups") return { kind: "or", items: equalityValues(inner, "groups").map((groupId) => ({ kind: "related" as const, relation: { kind: "memberOf" as const, groupId } })) };
      if (path.attribute === "roles") return { kind: "or", items: equalityValues(inner, "roles").map((role) => ({ kind: "related" as const, relation: { kind: "hasRole" as const, role } })) };
      return undefined;
    },
  };
  return filterToCriteria(filter, target);
}
