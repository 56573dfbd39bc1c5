import {
  type BulkOperation,
  type BulkOperationResult,
  UnresolvedBulkIdError,
  bulkErrorResult,
  bulkResponse,
  findBulkIdReferences,
  internalError,
  parseBulkRequest,
  resolveBulkIdPath,
  resolveBulkIdReferences,
} from "../protocol";
import { asScimError, retryLaterScimError } from "./domain-errors";
import type { ScimScope } from "./scim-scope";
import { type ScimRequest, type ScimResponse, StreamedBody } from "./scim-response";

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export type Dispatch = (scope: ScimScope, req: ScimRequest) => Promise<ScimResponse>;

/** What a Bulk tells its log: an operation's unexpected error, and the operations refused for now (503). */
export interface BulkLog {
  unexpected(err: unknown): void;
  /** Once per Bulk, when any operation got a 503: how many, and the first one's error and position. */
  refusedForNow(first: unknown, count: number, firstIndex: number): void;
}

/**
 * /Bulk (RFC 7644 §3.7): operations run in order, each as its own unit; an operation whose bulkId
 * reference is not created yet waits for a later pass; failOnErrors stops the run.
 */
export async function runBulk(scope: ScimScope, body: unknown, payloadBytes: number, dispatch: Dispatch, log: BulkLog): Promise<ScimResponse> {
  const request = parseBulkRequest(body, { maxOperations: scope.limits.maxBulkOperations, maxPayloadSize: scope.limits.maxPayloadBytes, payloadBytes });
  const created = new Map<string, string>();
  const results = new Map<BulkOperation, BulkOperationResult>();
  let errors = 0;
  // An operation's 503 says only "retry later" to the client; the database's own error is logged once
  // per Bulk (the first, and how many), not per operation: a stalled database fails them all.
  const refused: { count: number; first?: unknown; firstIndex: number } = { count: 0, firstIndex: -1 };
  // Each operation's references, read once. A pass used to try every operation still waiting, each
  // try walking its data and throwing: 1,000 POSTs each naming the next one's bulkId (a manager
  // chain sent in reverse) took 1,000 passes and 6.9 s of CPU.
  const byBulkId = new Map(request.operations.flatMap((o) => (o.bulkId ? [[o.bulkId, o] as const] : [])));
  const references = new Map(request.operations.map((o) => [o, [...findBulkIdReferences([o.path.split("/"), o.data])]]));
  /** Whether `op` names an operation that has not run yet: it waits for a later pass. */
  const mustWait = (op: BulkOperation) =>
    references.get(op)!.some((ref) => {
      const target = byBulkId.get(ref);
      return !created.has(ref) && target !== undefined && !results.has(target);
    });
  // The resources the operations touched (each handler names its own in scope.resource), for the
  // provisioning log: a resource's history finds this Bulk, whichever of its operations touched it.
  const touched = new Map<string, NonNullable<ScimScope["resource"]>>();
  const dispatchNoting: Dispatch = async (s, req) => {
    s.resource = undefined;
    try {
      return await dispatch(s, req);
    } finally {
      const resource = s.resource as ScimScope["resource"];
      if (resource) touched.set(resource.id, resource);
    }
  };
  let pending = [...request.operations];
  while (pending.length) {
    const waiting: BulkOperation[] = [];
    for (const op of pending) {
      if (request.failOnErrors !== undefined && errors >= request.failOnErrors) break;
      if (mustWait(op)) {
        waiting.push(op);
        continue;
      }
      // Let the event loop breathe between operations: with SQLite's synchronous driver a whole Bulk
      // would otherwise run as one macrotask, starving other requests and signal handlers (SIGTERM).
      await yieldToEventLoop();
      try {
        const path = resolveBulkIdPath(op.path, created);
        const data = resolveBulkIdReferences(op.data, created);
        const [, type, id] = path.split("/");
        const response = await dispatchNoting(scope, { method: op.method, path, id, query: {}, body: data, ifMatch: op.version });
        const resource = (response.body instanceof StreamedBody ? response.body.summary : response.body) as { id?: string; meta?: { location?: string } } | undefined;
        if (op.bulkId && resource?.id) created.set(op.bulkId, resource.id);
        results.set(op, {
          method: op.method,
          ...(op.bulkId ? { bulkId: op.bulkId } : {}),
          ...(response.headers?.ETag ? { version: response.headers.ETag } : {}),
          location: resource?.meta?.location ?? `${scope.baseUrl}/${type}/${id ?? resource?.id ?? ""}`,
          status: response.status,
        });
      } catch (err) {
        // A lock conflict or an unreachable database is this operation's 503 (retryable), not a 500.
        const known = asScimError(err);
        const scimError = known ?? retryLaterScimError(err);
        if (!scimError) log.unexpected(err);
        else if (!known && refused.count++ === 0) [refused.first, refused.firstIndex] = [err, request.operations.indexOf(op)];
        // A replayed Bulk: the resource exists already (409). Later operations that name its bulkId
        // refer to that resource, so a replay applies what is missing instead of failing on it too.
        if (scimError?.scimType === "uniqueness" && op.method === "POST" && op.bulkId) {
          const existing = await existingResourceId(scope, op).catch(() => undefined);
          if (existing) created.set(op.bulkId, existing);
        }
        results.set(op, bulkErrorResult(op, scimError ?? internalError()));
        errors++;
      }
    }
    if (request.failOnErrors !== undefined && errors >= request.failOnErrors) break;
    if (waiting.length === pending.length) {
      // No progress: the remaining references form a cycle or name failed operations.
      for (const op of waiting) {
        results.set(op, bulkErrorResult(op, new UnresolvedBulkIdError(String(op.bulkId ?? op.path))));
      }
      break;
    }
    pending = waiting;
  }
  if (refused.count) log.refusedForNow(refused.first, refused.count, refused.firstIndex);
  scope.resource = touched.size === 1 ? [...touched.values()][0] : undefined;
  scope.resources = touched.size > 1 ? [...touched.keys()] : undefined;
  return { status: 200, body: bulkResponse(request.operations.filter((o) => results.has(o)).map((o) => results.get(o)!)) };
}

/** The id of the resource a refused POST collided with, found by its unique name (a user's userName, a group's displayName). */
async function existingResourceId(scope: ScimScope, op: BulkOperation): Promise<string | undefined> {
  const type = (op.path.split("/")[1] ?? "").toLowerCase();
  const attribute = type === "users" ? "username" : type === "groups" ? "displayname" : undefined;
  const data = (op.data ?? {}) as Record<string, unknown>;
  const name = attribute ? Object.entries(data).find(([k]) => k.toLowerCase() === attribute)?.[1] : undefined;
  if (typeof name !== "string") return undefined;
  const found = type === "users" ? await scope.services.users.findByUserName(scope.ctx, name) : await scope.services.groups.findByDisplayName(scope.ctx, name);
  return found?.id;
}
