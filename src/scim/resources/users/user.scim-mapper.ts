import type { CustomFieldDefinition } from "../../../domain/custom-fields/custom-field-definition.entity";
import type { PostalAddress, User } from "../../../domain/users/user.entity";
import type { ContactInput, UserChanges, UserDetails, UserTextField } from "../../../domain/users/user.service";
import { type Json, URN_CORE_USER, URN_ENTERPRISE_USER, invalidValue, isObject, weakEtag } from "../../protocol";
import { isoTime } from "../scim-response";

/** Core attributes stored as plain text columns of the same name. */
const CORE_TEXT: UserTextField[] = ["displayName", "nickName", "title", "userType", "preferredLanguage", "locale", "timezone", "profileUrl"];
const NAME_PARTS: [string, UserTextField][] = [
  ["formatted", "nameFormatted"],
  ["familyName", "familyName"],
  ["givenName", "givenName"],
  ["middleName", "middleName"],
  ["honorificPrefix", "honorificPrefix"],
  ["honorificSuffix", "honorificSuffix"],
];
const ENTERPRISE_TEXT: UserTextField[] = ["employeeNumber", "costCenter", "organization", "division", "department"];
const ENTERPRISE_COLUMNS = ENTERPRISE_TEXT.map((f) => [f, f] as const);

const assigned = (v: unknown) => v !== null && v !== undefined && v !== "";

/** `o` without its unassigned (null, undefined, empty) values. A loop: it runs for every attribute of every user of a page. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in o) if (assigned(o[k])) out[k] = o[k];
  return out;
}

/** The user's assigned columns, under SCIM's names; undefined when none is. */
function assignedColumns(user: User, columns: readonly (readonly [string, UserTextField])[]): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const [scim, column] of columns) if (assigned(user[column])) (out ??= {})[scim] = user[column];
  return out;
}

/** A user as SCIM shows it: unassigned attributes are left out (RFC 7643 §2.5). */
export function toScimUser(user: User, details: UserDetails, baseUrl: string, extensionUrn: string): Json {
  const r: Json = { schemas: [URN_CORE_USER], id: user.id };
  if (user.externalId) r.externalId = user.externalId;
  r.userName = user.userName;
  const name = assignedColumns(user, NAME_PARTS);
  if (name) r.name = name;
  for (const f of CORE_TEXT) if (user[f]) r[f] = user[f];
  r.active = user.active;
  if (details.emails.length) r.emails = details.emails.map((e) => compact({ value: e.value, type: e.type, primary: e.primary, display: e.display }));
  if (details.phoneNumbers.length) r.phoneNumbers = details.phoneNumbers.map((p) => compact({ value: p.value, type: p.type, primary: p.primary, display: p.display }));
  if (user.addresses?.length) r.addresses = user.addresses.map((a) => compact({ ...a }));
  // Direct groups first, then those the user is in only through nested groups (each once).
  const groupRef = (g: { id: string; displayName: string }, type: "direct" | "indirect") => ({ value: g.id, $ref: `${baseUrl}/Groups/${g.id}`, display: g.displayName, type });
  const groups = details.groups.map((g) => groupRef(g, "direct"));
  for (const g of details.indirectGroups ?? []) groups.push(groupRef(g, "indirect"));
  if (groups.length) r.groups = groups;
  // A user's only role is its primary one: Entra's single-role mapping replaces it through
  // `roles[primary eq "True"].value`, which matched nothing and added the new role beside the old.
  if (details.roles.length) r.roles = details.roles.map((role) => ({ value: role.name, display: role.name, ...(details.roles.length === 1 ? { primary: true } : {}) }));
  const enterprise: Json = assignedColumns(user, ENTERPRISE_COLUMNS) ?? {};
  if (user.managerId) {
    enterprise.manager = compact({ value: user.managerId, $ref: `${baseUrl}/Users/${user.managerId}`, displayName: details.manager?.displayName ?? details.manager?.userName });
  }
  if (Object.keys(enterprise).length) {
    r[URN_ENTERPRISE_USER] = enterprise;
    (r.schemas as string[]).push(URN_ENTERPRISE_USER);
  }
  if (Object.keys(details.customFields).length) {
    r[extensionUrn] = { ...details.customFields };
    (r.schemas as string[]).push(extensionUrn);
  }
  r.meta = { resourceType: "User", created: isoTime(user.createdAt), lastModified: isoTime(user.updatedAt), location: `${baseUrl}/Users/${user.id}`, version: weakEtag(user.version) };
  return r;
}

const text = (v: unknown): string | null => (v === undefined || v === null || v === "" ? null : String(v));

function contacts(list: unknown): ContactInput[] {
  if (!Array.isArray(list)) return [];
  // Entra sends entries such as `{"type":"mobile","value":null}` for attributes it has no value for: unassigned, dropped.
  return list
    .filter(isObject)
    .filter((c) => c.value !== null && c.value !== undefined && c.value !== "")
    .map((c) => ({ value: String(c.value), type: text(c.type), primary: c.primary === true, display: text(c.display) }));
}

function addresses(list: unknown): PostalAddress[] | null {
  if (!Array.isArray(list) || list.length === 0) return null;
  return list.filter(isObject).map((a) =>
    compact({
      formatted: text(a.formatted),
      streetAddress: text(a.streetAddress),
      locality: text(a.locality),
      region: text(a.region),
      postalCode: text(a.postalCode),
      country: text(a.country),
      type: text(a.type),
      primary: a.primary === true ? true : undefined,
    }) as PostalAddress,
  );
}

/**
 * Role names from what IdPs send: `["Admin"]`, `[{"value":"Admin"}]`, or Entra's
 * `[{"value":"{\"id\":…,\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]` (a JSON string).
 */
export function roleNames(list: unknown, notes: Set<string>): string[] {
  if (list === undefined || list === null) return [];
  const items = Array.isArray(list) ? list : [list];
  const names: string[] = [];
  for (const item of items) {
    let v: unknown = isObject(item) ? (item.value ?? item.display) : item;
    if (typeof v === "string" && v.trim().startsWith("{")) {
      try {
        const parsed = JSON.parse(v) as Record<string, unknown>;
        v = parsed.value ?? parsed.displayName;
        notes.add("Entra role JSON unwrapped");
      } catch {
        throw invalidValue(`role value ${JSON.stringify(v)} is neither a role name nor a JSON role`);
      }
    }
    if (typeof v !== "string" || !v.trim()) throw invalidValue(`each role needs a name in "value", got ${JSON.stringify(item)}`);
    names.push(v.trim());
  }
  return [...new Set(names)];
}

/** Manager as a bare id, `{value}` or `[{value, $ref}]`: always an id (or null to clear). */
export function managerId(value: unknown, notes: Set<string>): string | null {
  let v = value;
  if (Array.isArray(v)) {
    if (v.length > 1) throw invalidValue("manager holds one user");
    notes.add("manager array unwrapped");
    v = v[0];
  }
  if (isObject(v)) v = v.value;
  return v === undefined || v === null || v === "" ? null : String(v);
}

function customFieldValues(ext: unknown, definitions: CustomFieldDefinition[], clearMissing: boolean): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const given = isObject(ext) ? ext : {};
  for (const def of definitions) {
    const key = Object.keys(given).find((k) => k.toLowerCase() === def.key.toLowerCase());
    if (key !== undefined) values[def.key] = given[key];
    else if (clearMissing) values[def.key] = null;
  }
  return values;
}

/**
 * `active` sent as null or removed by PATCH is refused, not read as its default (true): a
 * de-provisioned account must never come back on because a value was cleared.
 */
const activeCleared = () => invalidValue('"active" cannot be null or removed: send true or false');

/**
 * A whole SCIM user (POST, PUT) → the domain's patch shape. For PUT every readWrite attribute left
 * out is cleared (RFC 7644 §3.5.1), but `active`: a new user left without it is active, a PUT that
 * leaves it out keeps it (§3.5.1 lets a service provider keep what a PUT omits; reading it as true
 * would switch a de-provisioned account back on with a profile update); sent as null it is refused.
 * `sentNull`: the attributes the body set to null (`normalizeResourceBody` drops them).
 */
export function changesFromScimUser(res: Json, definitions: CustomFieldDefinition[], extensionUrn: string, notes: Set<string>, replace: boolean, sentNull: readonly string[] = []): UserChanges {
  if (sentNull.includes("active")) throw activeCleared();
  const name = isObject(res.name) ? res.name : {};
  const ent = isObject(res[URN_ENTERPRISE_USER]) ? (res[URN_ENTERPRISE_USER] as Json) : {};
  const changes: UserChanges = {
    userName: String(res.userName ?? ""),
    externalId: text(res.externalId),
    active: res.active === undefined ? (replace ? undefined : true) : res.active === true,
    emails: contacts(res.emails),
    phoneNumbers: contacts(res.phoneNumbers),
    addresses: addresses(res.addresses),
    roles: roleNames(res.roles, notes),
    managerId: managerId(ent.manager, notes),
    customFields: customFieldValues(res[extensionUrn], definitions, replace),
  };
  for (const f of CORE_TEXT) changes[f] = text(res[f]);
  for (const [scim, col] of NAME_PARTS) changes[col] = text(name[scim]);
  for (const f of ENTERPRISE_TEXT) changes[f] = text(ent[f]);
  return changes;
}

/** The attributes a PATCH changed (canonical keys from the engine) → only those fields of the patch shape. */
export function changesFromPatchedUser(after: Json, changed: string[], definitions: CustomFieldDefinition[], extensionUrn: string, notes: Set<string>): UserChanges {
  if (changed.includes("active") && typeof after.active !== "boolean") throw activeCleared();
  const all = changesFromScimUser({ ...after, userName: after.userName ?? "" }, definitions, extensionUrn, notes, true);
  const c: UserChanges = {};
  const pick = <K extends keyof UserChanges>(k: K) => {
    (c as Record<string, unknown>)[k] = all[k];
  };
  for (const key of changed) {
    if (key === "userName" || key === "externalId" || key === "active" || key === "emails" || key === "phoneNumbers" || key === "addresses" || key === "roles") pick(key);
    else if ((CORE_TEXT as string[]).includes(key)) pick(key as UserTextField);
    else if (key === "name") NAME_PARTS.forEach(([, col]) => pick(col));
    else if (key === "password") notes.add("password ignored");
    else if (key.startsWith(`${URN_ENTERPRISE_USER}:`)) {
      const attr = key.slice(URN_ENTERPRISE_USER.length + 1);
      if (attr === "manager") pick("managerId");
      else if ((ENTERPRISE_TEXT as string[]).includes(attr)) pick(attr as UserTextField);
    } else if (key.toLowerCase().startsWith(`${extensionUrn.toLowerCase()}:`)) {
      const attr = key.slice(extensionUrn.length + 1);
      const def = definitions.find((d) => d.key.toLowerCase() === attr.toLowerCase());
      if (def) c.customFields = { ...c.customFields, [def.key]: all.customFields?.[def.key] ?? null };
    } else if (key === URN_ENTERPRISE_USER) {
      pick("managerId");
      ENTERPRISE_TEXT.forEach(pick);
    } else if (key.toLowerCase() === extensionUrn.toLowerCase()) {
      c.customFields = { ...c.customFields, ...all.customFields };
    }
  }
  return c;
}
