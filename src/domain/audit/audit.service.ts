import { In } from "typeorm";
import type { Database } from "../../platform/database";
import { MAX_DEFERRED_CHARS, statementChars } from "../../platform/statement-pipeline";
import { newTimeOrderedId } from "../../platform/ids";
import type { Actor, ChangeSource, RequestContext } from "../../platform/request-context";
import { type CountOption, type CursorPage, type CursorSlice, newestFirstPage } from "../shared/paging";
import { SettledTotals } from "../shared/settled-totals";
import { AuditEvent, type FieldChange } from "./audit-event.entity";

export interface AuditRecord {
  action: string;
  resourceType: string;
  resourceId: string | null;
  changes?: Record<string, FieldChange> | null;
}

export interface AuditQuery {
  action?: string;
  resourceType?: string;
  resourceId?: string;
  source?: ChangeSource;
  requestId?: string;
  /** Who made the change, as recorded (actorType, actorId, actorLabel): each part given must match. */
  actor?: { type?: Actor["type"]; id?: string; label?: string };
  since?: Date;
  until?: Date;
}

/** Lists longer than this are cut in the audit trail (a group of 100k members is not copied whole). */
const MAX_LISTED_VALUES = 1000;

export function capList<T>(values: T[]): T[] | { first: T[]; total: number } {
  return values.length <= MAX_LISTED_VALUES ? values : { first: values.slice(0, MAX_LISTED_VALUES), total: values.length };
}

/** Field-by-field before/after of what a write changed; unchanged fields are left out. */
export function diffFields(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const key of Object.keys(after)) {
    const b = before[key] ?? null;
    const a = after[key] ?? null;
    if (JSON.stringify(b) !== JSON.stringify(a)) changes[key] = { before: b, after: a };
  }
  return changes;
}

const INSERT_EVENTS = "INSERT INTO audit_events (id, organisationId, occurredAt, actorType, actorId, actorLabel, action, resourceType, resourceId, changes, source, requestId) VALUES";
const EVENT_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const INSERT_EVENT = `${INSERT_EVENTS} ${EVENT_ROW}`;

/** An event's values, in INSERT_EVENTS' column order. */
const eventValues = (ctx: RequestContext, record: AuditRecord, occurredAt: Date): unknown[] => [
  newTimeOrderedId(),
  ctx.organisationId,
  occurredAt,
  ctx.actor.type,
  ctx.actor.id,
  ctx.actor.label.slice(0, 255),
  record.action,
  record.resourceType,
  record.resourceId,
  record.changes ? JSON.stringify(record.changes) : null,
  ctx.source,
  ctx.requestId,
];

export class AuditService {
  /** Told, once the change has committed, that an organisation changed and what kind of resource (caches are forgotten). */
  readonly onChanged: ((organisationId: string, resourceType: string) => void)[] = [];

  /** The trail's totals, as the provisioning log's: the trail is never purged, only appended to. */
  private readonly totals = new SettledTotals();

  constructor(private readonly db: Database) {}

  /** Must run inside the transaction of the change it describes. */
  async record(ctx: RequestContext, record: AuditRecord): Promise<void> {
    if (this.onChanged.length) await this.db.afterCommit(ctx, async () => this.onChanged.forEach((hook) => hook(ctx.organisationId, record.resourceType)));
    // Plain SQL, deferred: every write of the domain layer comes through here, and nothing reads it back.
    await this.db.write(ctx, INSERT_EVENT, eventValues(ctx, record, new Date()));
  }

  /**
   * Several events of one change (a deletion's effects on the resources that referred to it): one
   * INSERT a thousand events. Must run inside the transaction of the change they describe.
   */
  async recordMany(ctx: RequestContext, records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.onChanged.length) {
      const types = [...new Set(records.map((r) => r.resourceType))];
      await this.db.afterCommit(ctx, async () => types.forEach((type) => this.onChanged.forEach((hook) => hook(ctx.organisationId, type))));
    }
    const occurredAt = new Date();
    // A thousand events a statement, fewer when their changes are large (a deleted custom field's
    // values, 200 KB a holder): one statement must fit the server's max_allowed_packet.
    let rows: unknown[][] = [];
    let chars = 0;
    const insert = async () => {
      if (rows.length) await this.db.write(ctx, `${INSERT_EVENTS} ${rows.map(() => EVENT_ROW).join(", ")}`, rows.flat());
      rows = [];
      chars = 0;
    };
    for (const record of records) {
      const values = eventValues(ctx, record, occurredAt);
      rows.push(values);
      chars += statementChars(EVENT_ROW, values);
      if (rows.length >= 1000 || chars >= MAX_DEFERRED_CHARS) await insert();
    }
    await insert();
  }

  async list(ctx: RequestContext, query: AuditQuery, page: CursorPage, options: CountOption = {}): Promise<CursorSlice<AuditEvent>> {
    const qb = this.db
      .manager(ctx)
      .getRepository(AuditEvent)
      .createQueryBuilder("e")
      .where("e.organisationId = :org", { org: ctx.organisationId });
    if (query.action) qb.andWhere("e.action = :action", { action: query.action });
    if (query.resourceType) qb.andWhere("e.resourceType = :rt", { rt: query.resourceType });
    if (query.resourceId) qb.andWhere("e.resourceId = :rid", { rid: query.resourceId });
    if (query.source) qb.andWhere("e.source = :source", { source: query.source });
    if (query.requestId) qb.andWhere("e.requestId = :reqId", { reqId: query.requestId });
    // By id: IDX_audit_events_actor (organisationId, actorId, occurredAt). Ids are unique across kinds.
    if (query.actor?.id) qb.andWhere("e.actorId = :actorId", { actorId: query.actor.id });
    if (query.actor?.type) qb.andWhere("e.actorType = :actorType", { actorType: query.actor.type });
    if (query.actor?.label) qb.andWhere("e.actorLabel = :actorLabel", { actorLabel: query.actor.label });
    if (query.since) qb.andWhere("e.occurredAt >= :since", { since: query.since });
    if (query.until) qb.andWhere("e.occurredAt < :until", { until: query.until });
    // Inside a transaction, its own uncommitted events count: never kept.
    const settled = ctx.manager ? undefined : { totals: this.totals, list: `${ctx.organisationId}:${JSON.stringify(query)}` };
    return newestFirstPage(qb, "e", "occurredAt", page, { ...options, settled });
  }

  /**
   * The events each request caused, newest first, at most `perRequest` of each: one statement for a
   * page of provisioning-log entries (by the requestId index), instead of one per entry. It reads
   * every event of those requests and keeps the newest: a request causes one, a /Bulk request up to
   * 1,000 (IdPs seldom send /Bulk).
   */
  async ofRequests(ctx: RequestContext, requestIds: string[], perRequest: number): Promise<Map<string, AuditEvent[]>> {
    const byRequest = new Map<string, AuditEvent[]>(requestIds.map((id) => [id, []]));
    if (requestIds.length === 0) return byRequest;
    const events = await this.db
      .manager(ctx)
      .getRepository(AuditEvent)
      .find({ where: { organisationId: ctx.organisationId, requestId: In([...byRequest.keys()]) }, order: { occurredAt: "DESC", id: "DESC" } });
    for (const e of events) {
      const list = byRequest.get(e.requestId);
      if (list && list.length < perRequest) list.push(e);
    }
    return byRequest;
  }
}
