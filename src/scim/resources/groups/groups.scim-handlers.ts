import type { Group } from "../../../domain/groups/group.entity";
import type { Member, MemberRef, MembersDelta } from "../../../domain/groups/group.service";
import {
  type DeltaMember,
  type Json,
  type MultiValuedDelta,
  URN_CORE_GROUP,
  applyPatch,
  etagMatches,
  invalidValue,
  isObject,
  type PatchOperation,
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
import { type ScimScope, groupSchema } from "../scim-scope";
import { type ProjectionParams, type ScimRequest, type ScimResponse, StreamedBody, checkWritePreconditions, expectedVersions, isProjected, isoTime, projectionOf, withEtag } from "../scim-response";
import { groupColumnOf, groupFilterToCriteria } from "./group.scim-filter";

export function toScimGroup(group: Group, members: Member[] | undefined, baseUrl: string): Json {
  const r: Json = { schemas: [URN_CORE_GROUP], id: group.id, displayName: group.displayName };
  if (group.externalId) r.externalId = group.externalId;
  if (members && members.length)
    r.members = members.map((m) => ({
      value: m.id,
      $ref: `${baseUrl}/${m.type === "group" ? "Groups" : "Users"}/${m.id}`,
      type: m.type === "group" ? "Group" : "User",
      ...(m.display ? { display: m.display } : {}),
    }));
  r.meta = { resourceType: "Group", created: isoTime(group.createdAt), lastModified: isoTime(group.updatedAt), location: `${baseUrl}/Groups/${group.id}`, version: weakEtag(group.version) };
  return r;
}

/** RFC 7643 §4.2: a member's `type` is optional (Entra, for one, leaves it out). */
const hasNoType = (m: Record<string, unknown>) => m.type === undefined || m.type === null;

/**
 * The members that `add` and `replace` operations on `members` name (with a path, or inside a value
 * without one, as Entra's path-less Replace sends them): checked with the group's lock, and locked
 * before it (those without type as none). Only a hint: anything else still reaches the write, which
 * checks it.
 */
function membersNamed(operations: PatchOperation[]): MemberRef[] {
  const refs: MemberRef[] = [];
  for (const o of operations) {
    if (o.op !== "add" && o.op !== "replace") continue;
    const list = o.path ? (o.path.attribute.toLowerCase() === "members" && !o.path.valueFilter && !o.path.subAttribute ? o.value : undefined) : isObject(o.value) ? caseless(o.value, "members") : undefined;
    if (!Array.isArray(list)) continue;
    for (const m of list) if (isObject(m) && typeof m.value === "string" && m.value) refs.push({ id: m.value, type: hasNoType(m) ? undefined : typeof m.type === "string" && m.type.toLowerCase() === "group" ? "group" : "user" });
  }
  return refs;
}

const caseless = (o: Record<string, unknown>, key: string) => Object.entries(o).find(([k]) => k.toLowerCase() === key)?.[1];

/**
 * A PATCH's member delta as one change of members. The applier keeps a delta's parts disjoint (an
 * add after a remove of the same member cancels it, and adds after a replace join its list), so
 * a replace, or a removal of all followed by additions, is a replace by that list.
 */
function membersDelta(delta: MultiValuedDelta): MembersDelta {
  if (delta.replace !== undefined) return { add: memberRefs(delta.replace), remove: [], replace: true };
  if (delta.removeAll) return { add: memberRefs(delta.add), remove: [], replace: true };
  return { add: memberRefs(delta.add), remove: delta.remove, replace: false };
}

/**
 * SCIM member entries → domain member references. An entry without `type` has none: the domain
 * takes it for the user of that id, or else the group of that id.
 */
function memberRefs(list: unknown): MemberRef[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw invalidValue('"members" must be an array');
  return list.map((m: DeltaMember | Json) => {
    if (!isObject(m) || typeof m.value !== "string" || !m.value) throw invalidValue(`each member needs a "value" (the member's id), got ${JSON.stringify(m)}`);
    if (hasNoType(m)) return { id: m.value };
    const type = typeof m.type === "string" ? m.type.toLowerCase() : "user";
    if (type !== "user" && type !== "group") throw invalidValue(`member type must be "User" or "Group", not ${JSON.stringify(m.type)}`);
    return { id: m.value, type };
  });
}

/**
 * The groups as SCIM resources. Members are loaded only when the response will show them
 * (`excludedAttributes=members` never touches the table). Null when the groups have more members
 * between them than an answer holds at once (`membersInMemory`): the answer then streams them.
 */
async function render(scope: ScimScope, groups: Group[], projection: ProjectionParams): Promise<Json[] | null> {
  const withMembers = wantsAttribute(groupSchema, projection, "members");
  const members = withMembers ? await scope.services.groups.allMembers(scope.ctx, groups.map((g) => g.id), scope.limits.membersInMemory) : undefined;
  if (members === null) return null;
  return groups.map((g) => project(toScimGroup(g, members?.get(g.id), scope.baseUrl), groupSchema, projection));
}

/** A group's resource without its members: what /Bulk reads of a streamed answer. */
const withoutMembers = (scope: ScimScope, group: Group, projection: ProjectionParams): Json => project(toScimGroup(group, undefined, scope.baseUrl), groupSchema, projection);

/** One group's JSON text, its members read and written a batch at a time (after its other attributes). */
async function* groupText(scope: ScimScope, group: Group, projection: ProjectionParams): AsyncGenerator<string> {
  const shell = JSON.stringify(withoutMembers(scope, group, projection));
  let opened = false;
  for await (const batch of scope.services.groups.memberBatches(scope.ctx, group.id, scope.limits.membersInMemory)) {
    const members = project(toScimGroup(group, batch, scope.baseUrl), groupSchema, projection).members;
    const items = JSON.stringify(members ?? []).slice(1, -1);
    if (!items) continue;
    yield opened ? `,${items}` : `${shell.slice(0, -1)},"members":[${items}`;
    opened = true;
  }
  yield opened ? "]}" : shell;
}

async function respondWithGroup(scope: ScimScope, group: Group, status: number, query: Record<string, unknown>): Promise<ScimResponse> {
  scope.resource = { type: "Group", id: group.id };
  const projection = projectionOf(query);
  const rendered = await render(scope, [group], projection);
  const body = rendered ? rendered[0] : new StreamedBody(withoutMembers(scope, group, projection), () => groupText(scope, group, projection));
  return withEtag(status, body, group.version, status === 201 ? `${scope.baseUrl}/Groups/${group.id}` : undefined);
}

/** A ListResponse whose groups are written one after another, each streaming its members. */
function streamedList(scope: ScimScope, groups: Group[], projection: ProjectionParams, totalResults: number, startIndex: number): StreamedBody {
  const envelope = { ...listResponse([], totalResults, startIndex), itemsPerPage: groups.length };
  return new StreamedBody(envelope, async function* () {
    // The envelope's last key is `"Resources":[]`: its array is opened, filled and closed here.
    yield JSON.stringify(envelope).slice(0, -2);
    for (const [i, group] of groups.entries()) {
      if (i > 0) yield ",";
      yield* groupText(scope, group, projection);
    }
    yield "]}";
  });
}

export async function createGroup(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  const { resource, notes } = normalizeResourceBody(req.body, groupSchema);
  notes.forEach((n) => scope.notes.add(n));
  const group = await scope.services.groups.create(scope.ctx, {
    displayName: String(resource.displayName ?? ""),
    externalId: typeof resource.externalId === "string" ? resource.externalId : null,
    members: memberRefs(resource.members),
  });
  return respondWithGroup(scope, group, 201, req.query);
}

export async function getGroup(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  const group = await scope.services.groups.find(scope.ctx, req.id!);
  if (!group) throw notFound(`Group ${req.id} not found`);
  scope.resource = { type: "Group", id: group.id };
  if (req.ifNoneMatch && etagMatches(req.ifNoneMatch, weakEtag(group.version))) return { status: 304, headers: { ETag: weakEtag(group.version) } };
  return respondWithGroup(scope, group, 200, req.query);
}

export async function listGroups(scope: ScimScope, params: Record<string, unknown>): Promise<ScimResponse> {
  const q = parseListQuery(params, {
    maxResults: scope.limits.maxResults,
    defaultCount: Math.min(100, scope.limits.maxResults),
    maxFilterLength: scope.limits.maxFilterLength,
    maxFilterDepth: scope.limits.maxFilterDepth,
  });
  const criteria = q.filter ? groupFilterToCriteria(resolveFilter(q.filter, groupSchema)) : { kind: "all" as const };
  let sort;
  if (q.sortBy) {
    const r = resolveAttribute(groupSchema, q.sortBy);
    const field = groupColumnOf({ attribute: r.attribute.name, subAttribute: r.subAttribute?.name });
    if (!field) throw invalidValue(`cannot sort by "${q.sortBy}"`);
    sort = { field, descending: q.sortOrder === "descending" };
  }
  const page = await scope.services.groups.search(scope.ctx, criteria, { offset: q.startIndex - 1, limit: q.count }, sort);
  const projection = { attributes: q.attributes, excludedAttributes: q.excludedAttributes };
  const resources = await render(scope, page.items, projection);
  return { status: 200, body: resources ? listResponse(resources, page.totalCount, q.startIndex) : streamedList(scope, page.items, projection, page.totalCount, q.startIndex) };
}

/** PUT replaces the group: name, externalId and the whole membership (members left out → none). */
export async function replaceGroup(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  scope.resource = { type: "Group", id: req.id! };
  const { resource, notes } = normalizeResourceBody(req.body, groupSchema);
  notes.forEach((n) => scope.notes.add(n));
  const groups = scope.services.groups;
  const members = memberRefs(resource.members);
  // The members are locked before the group (withLockedGroup), as a deletion of one of them does.
  const group = await groups.withLockedGroup(scope.ctx, req.id!, members, async (tx, { group: locked, checked }) => {
    checkWritePreconditions(req, `Group ${req.id}`, locked.version);
    // Name, externalId and members are one change: one new version, one audit event.
    const attributes = { displayName: String(resource.displayName ?? ""), externalId: typeof resource.externalId === "string" ? resource.externalId : null };
    return (await groups.write(tx, req.id!, { attributes, members: { add: members, remove: [], replace: true } }, { locked, checked })).group;
  });
  return respondWithGroup(scope, group, 200, req.query);
}

/**
 * PATCH: name and externalId are applied to the group's own row; member operations become
 * add/remove deltas, so a group of 100,000 members is changed without reading them.
 */
export async function patchGroup(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  scope.resource = { type: "Group", id: req.id! };
  const parsed = parsePatchRequest(req.body, { maxOperations: scope.limits.maxPatchOperations, maxLength: scope.limits.maxFilterLength, maxDepth: scope.limits.maxFilterDepth });
  parsed.notes.forEach((n) => scope.notes.add(n));
  const groups = scope.services.groups;
  // One locked read of the group's own row, threaded through every change below; the members the
  // operations would add or replace the members with are locked before it and checked in the same round trip.
  const group = await groups.withLockedGroup(scope.ctx, req.id!, membersNamed(parsed.operations), async (tx, locked) => {
    const current = locked.group;
    checkWritePreconditions(req, `Group ${req.id}`, current.version);
    const result = applyPatch(toScimGroup(current, undefined, scope.baseUrl), parsed.operations, groupSchema, { deltaAttributes: ["members"] });
    result.notes.forEach((n) => scope.notes.add(n));
    const after = result.resource;
    const own: { displayName?: string; externalId?: string | null } = {};
    if (result.changed.includes("displayName")) own.displayName = String(after.displayName ?? "");
    if (result.changed.includes("externalId")) own.externalId = typeof after.externalId === "string" ? after.externalId : null;
    // The name, externalId and members the operations change are one change: one new version, one audit event.
    const delta = result.deltas.members;
    return (await groups.write(tx, current.id, { attributes: own, members: delta && membersDelta(delta) }, { locked: current, checked: locked.checked })).group;
  });
  const projection = projectionOf(req.query);
  // 204 keeps a member change cheap (RFC 7644 §3.5.2 allows it); ask for attributes to get the resource.
  if (!isProjected(projection)) return { status: 204, headers: { ETag: weakEtag(group.version) } };
  return respondWithGroup(scope, group, 200, req.query);
}

export async function deleteGroup(scope: ScimScope, req: ScimRequest): Promise<ScimResponse> {
  scope.resource = { type: "Group", id: req.id! };
  const groups = scope.services.groups;
  // If-None-Match needs the version under the lock (a matching tag is 412, as on PUT and PATCH): only then read first.
  if (req.ifNoneMatch === undefined) await groups.delete(scope.ctx, req.id!, { expectedVersion: expectedVersions(req.ifMatch) });
  else
    await scope.services.db.transaction(scope.ctx, async (tx) => {
      checkWritePreconditions(req, `Group ${req.id}`, (await groups.lockForUpdate(tx, req.id!)).version);
      await groups.delete(tx, req.id!);
    });
  return { status: 204 };
}
