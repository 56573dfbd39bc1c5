import DataLoader from "dataloader";
import type { Group } from "../domain/groups/group.entity";
import type { Services } from "../domain/services";
import type { Principal } from "../domain/sessions/principal";
import { DomainError } from "../domain/shared/domain-error";
import type { User } from "../domain/users/user.entity";
import type { UserDetails } from "../domain/users/user.service";
import type { RequestContext } from "../platform/request-context";

/** Per-request batching: resolving 100 users with their relations costs a constant number of queries. */
export function createLoaders(services: Services, ctx: RequestContext) {
  return {
    userById: new DataLoader<string, User | null>(async (ids) => {
      const found = await services.users.getMany(ctx, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    groupById: new DataLoader<string, Group | null>(async (ids) => {
      const found = await services.groups.getMany(ctx, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    userDetails: new DataLoader<User, UserDetails, string>(
      async (users) => {
        const details = await services.users.details(ctx, [...users]);
        return users.map((u) => details.get(u.id)!);
      },
      { cacheKeyFn: (u) => u.id },
    ),
    groupsOfUser: new DataLoader<string, { id: string; displayName: string }[]>(async (ids) => {
      const groups = await services.users.groupsOfUsers(ctx, [...ids]);
      return ids.map((id) => groups.get(id) ?? []);
    }),
    memberCount: new DataLoader<string, number>(async (ids) => {
      const counts = await services.groups.memberCounts(ctx, [...ids]);
      return ids.map((id) => counts.get(id) ?? 0);
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
  return { services, requestId, publicUrl: options.publicUrl ?? "", auth, principal: () => principal, loaders: () => (loaders ??= createLoaders(services, anyCaller())) };
}
