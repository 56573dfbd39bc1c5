import type { Services } from "./domain/services";
import type { Organisation } from "./domain/organisations/organisation.entity";
import { newRequestId } from "./platform/ids";
import { type RequestContext, systemActor } from "./platform/request-context";

export interface Bootstrapped {
  organisation: Organisation;
  adminToken: string;
  scimToken: string;
}

/** On an empty database: the `default` organisation, an admin token and a SCIM token (secrets returned once). */
export async function bootstrapIfEmpty(services: Services): Promise<Bootstrapped | null> {
  if ((await services.organisations.count()) > 0) return null;
  const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
  const organisation = await services.organisations.create(sys, { slug: "default", name: "Default organisation" });
  const ctx: RequestContext = { ...sys, organisationId: organisation.id };
  const admin = await services.tokens.create(ctx, { name: "bootstrap admin", scope: "admin" });
  const scim = await services.tokens.create(ctx, { name: "bootstrap scim", scope: "scim" });
  return { organisation, adminToken: admin.secret, scimToken: scim.secret };
}
