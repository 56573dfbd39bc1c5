import { And, In, IsNull, LessThan, MoreThanOrEqual, Not } from "typeorm";
import { Database, isDatabaseUnavailable } from "../../platform/database";
import { newTimeOrderedId } from "../../platform/ids";
import type { RequestContext } from "../../platform/request-context";
import { type CountOption, type CursorPage, type CursorSlice, mergeNewestFirst, newestFirstPage } from "../shared/paging";
import { SettledTotals } from "../shared/settled-totals";
import { Organisation } from "../organisations/organisation.entity";
import { ProvisioningLogEntry } from "./provisioning-log-entry.entity";
import { redactBody } from "./redact-body";

export type NewLogEntry = Omit<ProvisioningLogEntry, "id" | "occurredAt"> & {
  occurredAt?: Date;
  /** Every resource the request touched, when it touched more than one (a /Bulk request); its `resourceId` is then null. */
  resources?: readonly string[];
};

export interface ProvisioningLogQuery {
  since?: Date;
  until?: Date;
  status?: number | null;
  /** Only failed requests (status 400 and up). */
  failedOnly?: boolean;
  tokenId?: string;
  resourceId?: string;
  method?: string;
}

/** Entries wait this long to be written together: one multi-row INSERT instead of a commit per request. */
const FLUSH_DELAY_MS = 25;
/** Every column of provisioning_log_entries, in the order the INSERT lists them (a test compares them with the entity). */
export const LOG_COLUMNS = ["id", "organisationId", "occurredAt", "requestId", "tokenId", "tokenLabel", "method", "path", "status", "durationMs", "resourceType", "resourceId", "notes", "scimType", "errorDetail", "requestBody"] as const;
const MAX_BATCH = 200;
/** Rows of provisioning_log_resources one INSERT writes: a /Bulk of 1,000 operations touches at most 1,000 resources. */
const RESOURCES_A_STATEMENT = 1000;
/** Organisations whose log a purge reads in one statement (an IN list on the time index). */
const PURGE_ORGANISATIONS_A_STATEMENT = 500;
/** Entries a purge of old entries deletes in one statement: short transactions, whatever the backlog. */
const ENTRIES_DELETED_A_STATEMENT = 1000;
/** How often each process purges old bodies and entries. */
const PURGE_EVERY_MS = 3600_000;
/**
 * How often each process checks whether a purge is due. Purges used to start only from a write of
 * the log: a process (or a deployment) that SCIM no longer called kept bodies and entries past their
 * retention for as long as it ran, or for good.
 */
const PURGE_CHECK_EVERY_MS = 5 * 60_000;

/** How long the log keeps what it records, in days. */
export interface LogRetention {
  /** A request's body (redacted), then it is set to NULL. */
  bodyDays: number;
  /** The entry itself, then it is deleted (its audit events stay in the audit trail). */
  entryDays: number;
}

interface Pending {
  row: ProvisioningLogEntry;
  /** The resources of an entry that touched more than one (provisioning_log_resources). */
  resources: readonly string[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Every SCIM request leaves one entry; bodies, then entries, are dropped after their retention
 * periods. Entries are written in batches shortly after their responses (a crash loses at most
 * FLUSH_DELAY_MS of them); `flush()` writes what is pending, and reads through `list()` flush first.
 */
export class ProvisioningLogService {
  private lastPurge = 0;
  /** The cutoff of this process's last purge of bodies (null before the first). */
  private purgedBefore: Date | null = null;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The purge under way, beside the writes: a backlog of old entries must not hold new ones back. */
  private purging: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly totals = new SettledTotals();

  /** Purges on time too: a process that records nothing (the IdP disconnected) still drops what is due. */
  private readonly purgeClock: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly retention: LogRetention,
  ) {
    this.purgeClock = setInterval(() => this.purgeIfDue(), PURGE_CHECK_EVERY_MS);
    this.purgeClock.unref();
  }

  /** Queues an entry; the promise settles once it is written. */
  record(newEntry: NewLogEntry): Promise<void> {
    const { resources = [], ...entry } = newEntry;
    const row: ProvisioningLogEntry = {
      ...entry,
      id: newTimeOrderedId(),
      occurredAt: entry.occurredAt ?? new Date(),
      path: entry.path.slice(0, 1024),
      errorDetail: entry.errorDetail?.slice(0, 1024) ?? null,
      requestBody: entry.requestBody === undefined ? null : redactBody(entry.requestBody),
    };
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ row, resources, resolve, reject });
      if (this.pending.length >= MAX_BATCH) void this.flush();
      else if (!this.timer) {
        this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
        this.timer.unref();
      }
    });
  }

  /** Writes every pending entry; resolves when they are stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return this.writing;
    this.writing = this.writing.then(() => this.write(batch));
    this.purgeIfDue();
    return this.writing;
  }

  /** Starts a purge beside the writes when the last one began PURGE_EVERY_MS ago (or never did). */
  private purgeIfDue(): void {
    if (Date.now() - this.lastPurge > PURGE_EVERY_MS && !this.stopping) {
      this.lastPurge = Date.now();
      const written = this.writing;
      this.purging = this.purging.then(() => written).then(() => this.purge()).catch(() => undefined);
    }
  }

  /**
   * One INSERT for the batch. If the database refuses it (not unreachable), each entry is written on
   * its own, so that one entry the database cannot take loses no other request's.
   */
  private async write(batch: Pending[]): Promise<void> {
    try {
      await this.insert(batch);
      batch.forEach((b) => b.resolve());
    } catch (err) {
      if (batch.length === 1 || isDatabaseUnavailable(err)) return batch.forEach((b) => b.reject(err));
      for (const b of batch) {
        await this.insert([b]).then(b.resolve, b.reject);
      }
    }
  }

  /** Writes what is pending and waits for the purge under way, if any. */
  async settled(): Promise<void> {
    await this.flush();
    await this.purging;
  }

  /** As `settled`, but the purge under way stops after its current statement, and no other starts. */
  stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.purgeClock);
    return this.settled();
  }

  /** Old bodies, then old entries. */
  async purge(now = new Date()): Promise<void> {
    await this.purgeBodies(now);
    await this.purgeEntries(now);
  }

  /**
   * One multi-row INSERT, written out rather than built by TypeORM's insert builder (which cost more
   * CPU than the statement: a tenth of a millisecond per SCIM request in a profile of the Entra cycle).
   */
  private async insert(batch: Pending[]): Promise<void> {
    const rows = batch.map((b) => b.row);
    const values = rows.flatMap((r) => LOG_COLUMNS.map((c) => (c === "notes" || c === "requestBody" ? (r[c] === null || r[c] === undefined ? null : JSON.stringify(r[c])) : (r[c] ?? null))));
    const entries = `INSERT INTO provisioning_log_entries (${LOG_COLUMNS.join(", ")}) VALUES ${rows.map(() => `(${Database.placeholders(LOG_COLUMNS.length)})`).join(", ")}`;
    const touched = batch.flatMap((b) => b.resources.map((resourceId) => [b.row.id, resourceId, b.row.organisationId]));
    if (touched.length === 0) {
      await this.db.writeAlone(entries, values);
      return;
    }
    // A /Bulk's entry and the resources it touched are written together: one more INSERT per 1,000 resources.
    await this.db.transaction({}, async (tx) => {
      await this.db.write(tx, entries, values);
      for (let i = 0; i < touched.length; i += RESOURCES_A_STATEMENT) {
        const slice = touched.slice(i, i + RESOURCES_A_STATEMENT);
        await this.db.write(tx, `INSERT INTO provisioning_log_resources (entryId, resourceId, organisationId) VALUES ${slice.map(() => "(?, ?, ?)").join(", ")}`, slice.flat());
      }
    });
  }

  /**
   * Bodies older than the retention period are removed; the entry itself stays. A process's first
   * purge reads every entry older than the cutoff (whatever was left before it started); each later
   * one only the entries that came of age since the one before, through each organisation's time
   * index. Every purge used to read the whole log, bodies and all, every hour in every process.
   */
  async purgeBodies(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.retention.bodyDays * 86400_000);
    const entries = this.db.manager().getRepository(ProvisioningLogEntry);
    const since = this.purgedBefore;
    let purged = 0;
    if (!since) {
      for (const organisations of await this.organisationsInSlices()) {
        for (const organisationId of organisations) {
          if (this.stopping) return purged;
          purged += await this.purgeOldBodiesOf(organisationId, cutoff);
        }
      }
    } else if (since < cutoff) {
      for (const organisations of await this.organisationsInSlices()) {
        const window = { organisationId: In(organisations), occurredAt: And(MoreThanOrEqual(since), LessThan(cutoff)), requestBody: Not(IsNull()) };
        purged += (await entries.update(window, { requestBody: () => "NULL" })).affected ?? 0;
      }
    }
    if (!since || since < cutoff) this.purgedBefore = cutoff;
    return purged;
  }

  /**
   * A first purge, for one organisation: its entries older than `cutoff` that still hold a body, a
   * thousand at a time, through its time index from the oldest on (each statement starts after the
   * last entry the one before found: every old entry is read once, without a lock), then an UPDATE
   * by primary key.
   * One UPDATE of the whole log before: on MariaDB it scanned the table and held every entry it read,
   * so the log's writes waited for it (3.6 s with 257,000 bodies to drop from a log of 300,000, and
   * 0.6 s at every start with none left); on SQLite the process answered nothing meanwhile (1.3 s).
   */
  private async purgeOldBodiesOf(organisationId: string, cutoff: Date): Promise<number> {
    const mysql = this.db.dialect === "mysql";
    // The index holds (organisationId, occurredAt, then id on MariaDB, the rowid on SQLite).
    const [entries, position] = mysql ? ["provisioning_log_entries FORCE INDEX (IDX_provisioning_log_organisation_time)", "id"] : ["provisioning_log_entries INDEXED BY IDX_provisioning_log_organisation_time", "rowid"];
    const read = (after: boolean) =>
      `SELECT id, occurredAt AS at, ${position} AS p FROM ${entries} WHERE organisationId = ? AND occurredAt < ? AND requestBody IS NOT NULL` +
      // occurredAt >= on its own: the index range starts there (inside the OR, the whole range was read again).
      (after ? ` AND occurredAt >= ? AND (occurredAt > ? OR ${position} > ?)` : "") +
      ` ORDER BY occurredAt, ${position} LIMIT ${ENTRIES_DELETED_A_STATEMENT}`;
    let purged = 0;
    let last: { at: unknown; p: unknown } | undefined;
    for (;;) {
      const rows = await this.db.rows<{ id: string; at: unknown; p: unknown }>(undefined, read(!!last), last ? [organisationId, cutoff, last.at, last.at, last.p] : [organisationId, cutoff]);
      const ids = rows.map((r) => r.id);
      if (ids.length > 0) {
        await this.db.writeAlone(`UPDATE provisioning_log_entries SET requestBody = NULL WHERE id IN (${Database.placeholders(ids.length)})`, ids);
        purged += ids.length;
      }
      last = rows.at(-1);
      if (rows.length < ENTRIES_DELETED_A_STATEMENT || this.stopping) return purged;
    }
  }

  /**
   * Entries older than their retention period are deleted, a thousand at a time: the ids by each
   * organisation's time index (which holds them: no row is read), then a DELETE by primary key.
   * Only the entries to delete are read, however large the log; a first purge of a long backlog
   * holds no lock for long, and stops between statements when the process does.
   */
  async purgeEntries(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.retention.entryDays * 86400_000);
    let deleted = 0;
    // The time index, whatever the statistics say: SQLite's, taken before a purge of half the log,
    // made it scan a log of 500,000 entries to find an hour's 231 (0.34 s against 0.44 ms).
    const entries = this.db.dialect === "mysql" ? "provisioning_log_entries FORCE INDEX (IDX_provisioning_log_organisation_time)" : "provisioning_log_entries INDEXED BY IDX_provisioning_log_organisation_time";
    for (const organisations of await this.organisationsInSlices()) {
      const select = `SELECT id FROM ${entries} WHERE organisationId IN (${Database.placeholders(organisations.length)}) AND occurredAt < ? LIMIT ${ENTRIES_DELETED_A_STATEMENT}`;
      for (;;) {
        const ids = (await this.db.rows<{ id: string }>(undefined, select, [...organisations, cutoff])).map((r) => r.id);
        if (ids.length > 0) {
          // The resources of the Bulks among them first: stopped in between, an entry is left, never a resource row without its entry.
          await this.db.writeAlone(`DELETE FROM provisioning_log_resources WHERE entryId IN (${Database.placeholders(ids.length)})`, ids);
          await this.db.writeAlone(`DELETE FROM provisioning_log_entries WHERE id IN (${Database.placeholders(ids.length)})`, ids);
          this.totals.forget();
          deleted += ids.length;
        }
        if (ids.length < ENTRIES_DELETED_A_STATEMENT || this.stopping) break;
      }
      if (this.stopping) break;
    }
    return deleted;
  }

  /** Every organisation's id, PURGE_ORGANISATIONS_A_STATEMENT at a time. */
  private async organisationsInSlices(): Promise<string[][]> {
    const ids = (await this.db.manager().getRepository(Organisation).find({ select: { id: true } })).map((o) => o.id);
    const slices: string[][] = [];
    for (let i = 0; i < ids.length; i += PURGE_ORGANISATIONS_A_STATEMENT) slices.push(ids.slice(i, i + PURGE_ORGANISATIONS_A_STATEMENT));
    return slices;
  }

  /** One entry of the organisation's log, or null (another organisation's id reads as unknown). */
  async find(ctx: RequestContext, id: string): Promise<ProvisioningLogEntry | null> {
    await this.flush();
    return this.db.manager(ctx).getRepository(ProvisioningLogEntry).findOneBy({ organisationId: ctx.organisationId, id });
  }

  /** `bodies: false`: the entries come without their request bodies (`requestBody` undefined), which are not read. */
  /**
   * A resource's history (`resourceId`) is the entries about it (by their resource index) and the
   * /Bulk requests that touched it among others (provisioning_log_resources, then by primary key):
   * two newest-first pages read apart and merged, so that neither read scans the organisation's log.
   */
  async list(ctx: RequestContext, query: ProvisioningLogQuery, page: CursorPage, options: CountOption & { bodies?: boolean } = {}): Promise<CursorSlice<ProvisioningLogEntry>> {
    await this.flush();
    const filtered = () => {
      const qb = this.db
        .manager(ctx)
        .getRepository(ProvisioningLogEntry)
        .createQueryBuilder("l")
        .where("l.organisationId = :org", { org: ctx.organisationId });
      if (options.bodies === false) qb.select(LOG_COLUMNS.filter((c) => c !== "requestBody").map((c) => `l.${c}`));
      if (query.since) qb.andWhere("l.occurredAt >= :since", { since: query.since });
      if (query.until) qb.andWhere("l.occurredAt < :until", { until: query.until });
      if (query.status !== undefined && query.status !== null) qb.andWhere("l.status = :status", { status: query.status });
      if (query.failedOnly) qb.andWhere("l.status >= 400");
      if (query.tokenId) qb.andWhere("l.tokenId = :tokenId", { tokenId: query.tokenId });
      if (query.method) qb.andWhere("l.method = :method", { method: query.method.toUpperCase() });
      return qb;
    };
    const list = `${ctx.organisationId}:${JSON.stringify(query)}`;
    const pageOf = (qb: ReturnType<typeof filtered>, key: string) => newestFirstPage(qb, "l", "occurredAt", page, { ...options, settled: { totals: this.totals, list: key } });
    if (!query.resourceId) return pageOf(filtered(), list);
    const bulks = await this.entriesTouching(ctx, query.resourceId);
    const about = await pageOf(filtered().andWhere("l.resourceId = :rid", { rid: query.resourceId }), list);
    if (bulks.length === 0) return about;
    return mergeNewestFirst([about, await pageOf(filtered().andWhere("l.id IN (:...bulks)", { bulks }), `${list}:bulks`)], page, (e) => e.occurredAt);
  }

  /** The entries that touched `resourceId` among other resources (a /Bulk's), by the index that holds their ids. */
  private async entriesTouching(ctx: RequestContext, resourceId: string): Promise<string[]> {
    const rows = await this.db.rows<{ entryId: string }>(ctx, "SELECT entryId FROM provisioning_log_resources WHERE organisationId = ? AND resourceId = ?", [ctx.organisationId, resourceId]);
    return rows.map((r) => r.entryId);
  }
}
