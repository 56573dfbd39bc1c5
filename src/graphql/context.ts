import DataLoader from "dataloader";
import type { AuditEvent } from "../domain/audit/audit-event.entity";
import type { CustomFieldValues } from "../domain/custom-fields/custom-field.service";
import type { Group } from "../domain/groups/group.entity";
import type { Role } from "../domain/roles/role.entity";
import type { Services } from "../domain/services";
import type { Principal } from "../domain/sessions/principal";
import type { CursorPage, CursorSlice } from "../domain/shared/paging";
import { DomainError } from "../domain/shared/domain-error";
import type { UserContact } from "../domain/users/user-contact.entity";
import type { User } from "../domain/users/user.entity";
import type { RequestContext } from "../platform/request-context";

/**
 * A DataLoader that also answers synchronously for keys it has already loaded: graphql-js completes a
 * node whose fields are plain values without a promise per node and field, so a page whose relations
 * were loaded up front (`prefetch`) costs far less CPU than one that waits on a loader per field.
 */
export class RelationLoader<K, V> {
  private readonly loaded = new Map<K, V>();
  private readonly loader: DataLoader<K, V>;

  constructor(batch: (keys: K[]) => Promise<V[]>) {
    this.loader = new DataLoader<K, V>(async (keys) => {
      const values = await batch([...keys]);
      keys.forEach((key, i) => this.loaded.set(key, values[i]));
      return values;
    });
  }

  /** The value when it is loaded, else a promise of it (keys asked for in the same tick share one batch). */
  get(key: K): V | Promise<V> {
    return this.loaded.has(key) ? (this.loaded.get(key) as V) : this.loader.load(key);
  }

  /** A value already read elsewhere (with the page itself): `get` answers it without a batch. */
  prime(key: K, value: V): void {
    // Not primed into the DataLoader too: that costs a resolved promise per key, and nothing asks
    // the DataLoader for a key that is loaded here (`get` and `prefetch` look here first).
    this.loaded.set(key, value);
  }

  /** Loads many keys in one batch (those not loaded yet); a failure surfaces where a field then `get`s the key. */
  async prefetch(keys: K[]): Promise<void> {
    const missing = keys.filter((key) => !this.loaded.has(key));
    if (missing.length) await this.loader.loadMany(missing);
  }
}

/** The audit events shown for one provisioning-log entry (a /Bulk request may cause up to 1,000). */
export const EVENTS_PER_REQUEST = 100;

/** Per-request batching: resolving 100 users with their relations costs a constant number of queries. */
export function createLoaders(services: Services, ctx: RequestContext) {
  // Direct reports by manager id, one loader per page asked for (`first`, `after`, whether counted):
  // the managers of a page that ask for the same page of reports share one batch.
  const reportPages = new Map<string, RelationLoader<string, CursorSlice<User>>>();
  return {
    directReports(page: CursorPage, count: boolean): RelationLoader<string, CursorSlice<User>> {
      const key = JSON.stringify([page.first, page.afterKey ?? null, count]);
      let loader = reportPages.get(key);
      if (!loader) {
        loader = new RelationLoader(async (ids) => {
          const slices = await services.users.reportsOf(ctx, ids, page, { count });
          return ids.map((id) => slices.get(id)!);
        });
        reportPages.set(key, loader);
      }
      return loader;
    },
    userById: new RelationLoader<string, User | null>(async (ids) => {
      const found = await services.users.getMany(ctx, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    // A page's managers read partially with it (only the fields that page shows of them), by the
    // page's user: kept out of userById, whose users are whole wherever else the request shows them.
    managerReadWithPage: new WeakMap<User, User | null>(),
    groupById: new RelationLoader<string, Group | null>(async (ids) => {
      const found = await services.groups.getMany(ctx, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    // One loader per relation: a page that asks only for roles reads only role assignments.
    contactsOfUser: new RelationLoader<string, { emails: UserContact[]; phoneNumbers: UserContact[] }>(async (ids) => {
      const contacts = await services.users.contactsOfUsers(ctx, ids);
      return ids.map((id) => {
        const all = contacts.get(id) ?? [];
        return { emails: all.filter((c) => c.kind === "email"), phoneNumbers: all.filter((c) => c.kind === "phone") };
      });
    }),
    rolesOfUser: new RelationLoader<string, Role[]>(async (ids) => {
      const roles = await services.roles.rolesOfUsers(ctx, ids);
      return ids.map((id) => roles.get(id) ?? []);
    }),
    customFieldsOfUser: new RelationLoader<string, CustomFieldValues>(async (ids) => {
      const values = await services.customFields.valuesOfUsers(ctx, ids);
      return ids.map((id) => values.get(id) ?? {});
    }),
    groupsOfUser: new RelationLoader<string, { id: string; displayName: string }[]>(async (ids) => {
      const groups = await services.users.groupsOfUsers(ctx, ids);
      return ids.map((id) => groups.get(id) ?? []);
    }),
    // `User.groups(includeIndirect: true)`: the direct groups, then those through nested groups (direct: false).
    groupsWithIndirectOfUser: new RelationLoader<string, { id: string; displayName: string; direct?: boolean }[]>(async (ids) => {
      const groups = await services.users.groupsOfUsers(ctx, ids, { indirect: true });
      return ids.map((id) => groups.get(id) ?? []);
    }),
    // A page of provisioning-log entries with what each request changed.
    auditEventsOfRequest: new RelationLoader<string, AuditEvent[]>(async (requestIds) => {
      const events = await services.audit.ofRequests(ctx, requestIds, EVENTS_PER_REQUEST);
      return requestIds.map((id) => events.get(id) ?? []);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

export interface GraphqlContext {
  services: Services;
  requestId: string;
  /** Roster's public base URL (SSO URLs shown to admins). */
  publicUrl: string;
  /** An admin's organisation and identity: UNAUTHENTICATED without a caller, FORBIDDEN for a signed-in non-admin. */
  auth(): RequestContext;
  /** Any caller (admin or signed-in user), or null. */
  principal(): Principal | null;
  loaders(): Loaders;
  /** Drops what the loaders hold: the next `loaders()` reads afresh (each top-level mutation field starts so). */
  forgetLoaded(): void;
}

export function buildGraphqlContext(services: Services, requestId: string, principal: Principal | null, options: { publicUrl?: string } = {}): GraphqlContext {
  let loaders: Loaders | undefined;
  const auth = () => {
    if (!principal) throw new DomainError("UNAUTHENTICATED", "an admin token (Authorization: Bearer …) or an admin session is required");
    if (!principal.admin) throw new DomainError("FORBIDDEN", "this operation needs the admin role");
    return principal.context;
  };
  const anyCaller = () => {
    if (!principal) throw new DomainError("UNAUTHENTICATED", "an admin token (Authorization: Bearer …) or a session is required");
    return principal.context;
  };
  return {
    services,
    requestId,
    publicUrl: options.publicUrl ?? "",
    auth,
    principal: () => principal,
    loaders: () => (loaders ??= createLoaders(services, anyCaller())),
    forgetLoaded: () => {
      loaders = undefined;
    },
  };
}
