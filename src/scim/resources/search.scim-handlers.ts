import { type ScimError, URN_SEARCH_REQUEST, invalidSyntax, isObject, listResponse } from "../protocol";
import { listGroups } from "./groups/groups.scim-handlers";
import type { ScimScope } from "./scim-scope";
import type { ScimResponse } from "./scim-response";
import { listUsers } from "./users/users.scim-handlers";

/** A SearchRequest body (RFC 7644 §3.4.3) as list parameters. */
export function searchParams(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw invalidSyntax("the search request body must be a JSON object");
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => String(s).toLowerCase() === URN_SEARCH_REQUEST.toLowerCase())) throw invalidSyntax(`"schemas" must contain "${URN_SEARCH_REQUEST}"`);
  const { schemas: _s, ...params } = body;
  return params;
}

type ListBody = { totalResults: number; Resources: unknown[] };

/** A filter naming an attribute one resource type lacks matches nothing of that type. */
async function orNothing(run: () => Promise<ScimResponse>): Promise<ListBody> {
  try {
    return (await run()).body as ListBody;
  } catch (err) {
    if ((err as ScimError).scimType === "invalidFilter" && /unknown attribute|cannot be used/.test((err as ScimError).detail)) return { totalResults: 0, Resources: [] };
    throw err;
  }
}

/** POST /.search: users first, then groups, paged as one list. */
export async function searchAll(scope: ScimScope, body: unknown): Promise<ScimResponse> {
  const params = searchParams(body);
  const startIndex = Math.max(1, Number(params.startIndex ?? 1) || 1);
  const count = params.count === undefined ? Math.min(100, scope.limits.maxResults) : Math.max(0, Math.min(Number(params.count) || 0, scope.limits.maxResults));
  const users = await orNothing(() => listUsers(scope, { ...params, startIndex, count }));
  const groupStart = Math.max(1, startIndex - users.totalResults);
  const groups = await orNothing(() => listGroups(scope, { ...params, startIndex: groupStart, count: Math.max(0, count - users.Resources.length) }));
  return { status: 200, body: listResponse([...users.Resources, ...groups.Resources], users.totalResults + groups.totalResults, startIndex) };
}
