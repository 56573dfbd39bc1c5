import type { User } from "../../../domain/users/user.entity";
import type { UserDetails, UserSort, UserWithDetails } from "../../../domain/users/user.service";
import {
  type Json,
  type PatchOperation,
  type ResourceSchema,
  URN_ENTERPRISE_USER,
  applyPatch,
  etagMatches,
  invalidValue,
  listResponse,
  normalizeResourceBody,
  notFound,
  parseListQuery,
  parsePatchRequest,
  project,
  resolveAttribute,
  resolveFilter,
  wantsAttribute,
  weakEtag,
} from "../../protocol";
import { type ScimScope, userSchema } from "../scim-scope";
import { type ProjectionParams, type ScimRequest, type ScimResponse, checkWritePreconditions, expectedVersions, isProjected, projectionOf, withEtag } from "../scim-response";
import { qualifyLegacyManager } from "../scim-filter";
import { userColumnOf, userFilterToCriteria } from "./user.scim-filter";
import { changesFromPatchedUser, changesFromScimUser, toScimUser } from "./user.scim-mapper";
import { customFieldOperationsLeftOut, customFieldsOfWholeUser } from "./user.scim-custom-fields";
import { roleOperationsLeftOut, rolesOfWholeUser } from "./user.scim-roles";

/**
 * A user as SCIM shows it under `attributes`/`excludedAttributes`. `toScimUser` emits only schema
 * attributes returned by default, so without either parameter there is nothing to project (a spec
 * checks it); a page of 100 users skips a hundred projections.
 */
function renderUser(scope: ScimScope, schema: ResourceSchema, user: User, details: UserDetails, projection: ProjectionParams): Json {
  const resource = toScimUser(user, details, scope.baseUrl, scope.extensionUrn);
  return isProjected(projection) ? project(resource, schema, projection) : resource;
}

/** Answers with one user and its details (as read or as written: never re-read). */
function respondWithUser(scope: ScimScope, schema: ResourceSchema, user: User, status: number, query: Record<string, unknown>, details: UserDetails): ScimResponse {
  scope.resource = { type: "User", id: user.id };
  const body = renderUser(scope, schema, user, details, projectionOf(query));
  return withEtag(status, body, user.version, status === 201 ? `${scope.baseUrl}/Users/${user.id}` : undefined);
}

/** Locks the user and reads what its SCIM view needs, inside the caller's transaction; checks If-Match / If-None-Match. */
async function lockWithDetails(scope: ScimScope, tx: ScimScope["ctx"] & { manager: NonNullable<ScimScope["ctx"]["manager"]> }, req: ScimRequest): Promise<UserWithDetails> {
  const current = await scope.services.users.lockWithDetails(tx, req.id!, groupsWanted(scope, true));
  checkWritePreconditions(req, `User ${req.id}`, current.user.version);
  return current;
}

/**
 * A user's SCIM `groups` lists the groups it is in directly and through nested groups (RFC 7643
 * §4.1.2). The indirect ones are asked for only where the organisation has (had) nested groups: a
 * flat one (every organisation Okta or Entra provisions) reads its users with the statements of
 * before indirect groups, without a probe of whether their groups are in groups.
 */
const groupsWanted = (scope: ScimScope, groups: boolean) => ({ groups, indirectGroups: groups && scope.settings.hasNestedGroups });

export async function createUser(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  const { schema, definitions } = await userSchema(scope);
  // Okta always sends a random password: accepted, never stored.
  const { resource, notes, sentNull } = normalizeResourceBody(req.body, schema, { ignoreAttributes: ["password"] });
  notes.forEach((n) => scope.notes.add(n));
  const { keepRoles } = rolesOfWholeUser(scope, resource, sentNull);
  const { keepFields } = customFieldsOfWholeUser(scope, definitions, resource, sentNull);
  const changes = keepFields(keepRoles(changesFromScimUser(resource, definitions, scope.extensionUrn, scope.notes, false, sentNull)));
  const { user, details } = await scope.services.users.createWithDetails(scope.ctx, { ...changes, userName: changes.userName ?? "" });
  return respondWithUser(scope, schema, user, 201, req.query, details);
}

export async function getUser(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  const { schema } = await userSchema(scope);
  const found = await scope.services.users.findWithDetails(scope.ctx, req.id!, groupsWanted(scope, wantsAttribute(schema, projectionOf(req.query), "groups")));
  if (!found) throw notFound(`User ${req.id} not found`);
  const { user, details } = found;
  scope.resource = { type: "User", id: user.id };
  if (req.ifNoneMatch && etagMatches(req.ifNoneMatch, weakEtag(user.version))) return { status: 304, headers: { ETag: weakEtag(user.version) } };
  return respondWithUser(scope, schema, user, 200, req.query, details);
}

export async function listUsers(scope: ScimScope, params: Record<string, unknown>): Promise<ScimResponse> {
  const { schema, definitions } = await userSchema(scope);
  const q = parseListQuery(params, {
    maxResults: scope.limits.maxResults,
    defaultCount: Math.min(100, scope.limits.maxResults),
    maxFilterLength: scope.limits.maxFilterLength,
    maxFilterDepth: scope.limits.maxFilterDepth,
  });
  const criteria = q.filter ? userFilterToCriteria(resolveFilter(qualifyLegacyManager(q.filter), schema), scope.extensionUrn, definitions) : { kind: "all" as const };
  let sort: UserSort | undefined;
  if (q.sortBy) {
    const field = userColumnOf(toPath(resolveAttribute(schema, q.sortBy)));
    if (!field) throw invalidValue(`cannot sort by "${q.sortBy}"`);
    sort = { field, descending: q.sortOrder === "descending" };
  }
  const projection = { attributes: q.attributes, excludedAttributes: q.excludedAttributes };
  const page = await scope.services.users.searchWithDetails(scope.ctx, criteria, { offset: q.startIndex - 1, limit: q.count }, sort, groupsWanted(scope, wantsAttribute(schema, projection, "groups")));
  const resources = page.items.map(({ user, details }) => renderUser(scope, schema, user, details, projection));
  return { status: 200, body: listResponse(resources, page.totalCount, q.startIndex) };
}

const toPath = (r: ReturnType<typeof resolveAttribute>) =>
  r.extension ? { schema: r.schemaUrn, attribute: r.attribute.name, subAttribute: r.subAttribute?.name } : { attribute: r.attribute.name, subAttribute: r.subAttribute?.name };

export async function replaceUser(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  const { schema, definitions } = await userSchema(scope);
  scope.resource = { type: "User", id: req.id! };
  const { resource, notes, sentNull } = normalizeResourceBody(req.body, schema, { ignoreAttributes: ["password"] });
  notes.forEach((n) => scope.notes.add(n));
  const { keepRoles } = rolesOfWholeUser(scope, resource, sentNull);
  const { keepFields } = customFieldsOfWholeUser(scope, definitions, resource, sentNull);
  const changes = keepFields(keepRoles(changesFromScimUser(resource, definitions, scope.extensionUrn, scope.notes, true, sentNull)));
  const { user, details } = await scope.services.db.transaction(scope.ctx, async (tx) => {
    const current = await lockWithDetails(scope, tx, req);
    return scope.services.users.updateWithDetails(tx, current.user.id, changes, { current });
  });
  return respondWithUser(scope, schema, user, 200, req.query, details);
}

/**
 * Entra sends the manager on the bare path `manager`, sometimes as `[{"$ref":…,"value":…}]`:
 * both are read as the enterprise extension's single-valued manager.
 */
function legacyManagerPaths(ops: PatchOperation[], notes: Set<string>): PatchOperation[] {
  return ops.map((op) => {
    if (!op.path || op.path.schema || op.path.attribute.toLowerCase() !== "manager") return op;
    notes.add("bare manager path read as enterprise manager");
    let value = op.value;
    if (Array.isArray(value) && value.length <= 1) value = value[0] ?? null;
    return { ...op, path: { ...op.path, schema: URN_ENTERPRISE_USER }, value };
  });
}

export async function patchUser(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  const { schema, definitions } = await userSchema(scope);
  scope.resource = { type: "User", id: req.id! };
  const parsed = parsePatchRequest(req.body, { maxOperations: scope.limits.maxPatchOperations, maxLength: scope.limits.maxFilterLength, maxDepth: scope.limits.maxFilterDepth });
  parsed.notes.forEach((n) => scope.notes.add(n));
  const { operations, keepFields } = customFieldOperationsLeftOut(scope, definitions, roleOperationsLeftOut(scope, legacyManagerPaths(parsed.operations, scope.notes)));
  // Read, apply and write in one transaction: all operations apply, or none does.
  const { user, details } = await scope.services.db.transaction(scope.ctx, async (tx) => {
    const current = await lockWithDetails(scope, tx, req);
    const result = applyPatch(toScimUser(current.user, current.details, scope.baseUrl, scope.extensionUrn), operations, schema);
    result.notes.forEach((n) => scope.notes.add(n));
    const changes = keepFields(changesFromPatchedUser(result.resource, result.changed, definitions, scope.extensionUrn, scope.notes), current.details.customFields);
    if (Object.keys(changes).length === 0) return current;
    return scope.services.users.updateWithDetails(tx, current.user.id, changes, { current });
  });
  return respondWithUser(scope, schema, user, 200, req.query, details);
}

export async function deleteUser(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  scope.resource = { type: "User", id: req.id! };
  const users = scope.services.users;
  // If-None-Match needs the version under the lock (a matching tag is 412, as on PUT and PATCH): only then read first.
  if (req.ifNoneMatch === undefined) await users.delete(scope.ctx, req.id!, { expectedVersion: expectedVersions(req.ifMatch) });
  else
    await scope.services.db.transaction(scope.ctx, async (tx) => {
      await lockWithDetails(scope, tx, req);
      await users.delete(tx, req.id!);
    });
  return { status: 204 };
}
