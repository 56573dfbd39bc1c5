import type { EntityManager } from "typeorm";
import type { Database } from "../../platform/database";
import { isUniqueViolation } from "../../platform/database";
import { newId } from "../../platform/ids";
import type { RequestContext } from "../../platform/request-context";
import type { AuditService } from "../audit/audit.service";
import { diffFields } from "../audit/audit.service";
import type { CustomFieldService } from "../custom-fields/custom-field.service";
import type { RoleService } from "../roles/role.service";
import { DomainError, InputProblems, conflict, invalidInput, notFound } from "../shared/domain-error";
import { assertExpectedVersion } from "../shared/expected-version";
import { Organisation, type RolesManagedBy } from "./organisation.entity";
import { validateManagedBy } from "../shared/managed-by";
import { RetiredSlug } from "./retired-slug.entity";
import { characterCount } from "../shared/text-length";

type Tx = RequestContext & { manager: EntityManager };

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface OrganisationChanges {
  name?: string;
  slug?: string;
  scimEnabled?: boolean;
  rolesManagedBy?: RolesManagedBy;
}

/** Context of a caller acting before any organisation exists (CLI, first start). */
export type SystemContext = Omit<RequestContext, "organisationId">;

/** The organisation a slug in a sign-in URL names, and that slug. */
export interface SlugHolder {
  organisation: Organisation;
  /** The slug as the URL gave it (lower case): the organisation's current one, or one it gave up. */
  slug: string;
  /** Whether `slug` is one the organisation gave up: its IdP still uses URLs set up before a rename. */
  former: boolean;
}

/**
 * The organisation whose slug `slug` is or was. A slug an organisation gave up stays reserved to it
 * (`claimSlug`), so a slug names at most one organisation, the current holder first. Sign-in through
 * a former slug answers exactly as it did before the rename: its IdP may not have been told yet.
 */
export async function organisationHoldingSlug(manager: EntityManager, slug: string): Promise<SlugHolder | null> {
  const s = slug.toLowerCase();
  const current = await manager.getRepository(Organisation).findOneBy({ slug: s });
  if (current) return { organisation: current, slug: s, former: false };
  const retired = await manager.getRepository(RetiredSlug).findOne({ where: { slug: s }, relations: { organisation: true } });
  return retired?.organisation ? { organisation: retired.organisation, slug: s, former: true } : null;
}

export class OrganisationService {
  /** Told after an organisation's settings change (cached token checks carry `scimEnabled`). */
  readonly onChanged: ((organisationId: string) => void)[] = [];

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly roles: RoleService,
    private readonly customFields: CustomFieldService,
  ) {}

  /**
   * Refuses `slug` when another organisation gave it up: its identity provider may still send its
   * people's sign-ins there (the SAML ACS URL and audience, the OIDC redirect URI hold the slug), and
   * an organisation that took it and set up the same IdP would receive them. An organisation taking
   * back its own former slug releases the reservation. The row is locked (MariaDB) so that a rename
   * freeing the slug at the same moment is seen.
   */
  private async claimSlug(tx: Tx, slug: string, organisationId: string | null): Promise<void> {
    const held = await this.lockRetiredSlug(tx, slug);
    if (!held) return;
    if (held.organisationId !== organisationId) {
      throw conflict("Organisation", "slug", `the slug "${slug}" belonged to another organisation and stays reserved to it: identity providers set up with it may still send its people there`);
    }
    await tx.manager.getRepository(RetiredSlug).delete({ slug });
  }

  /** The organisation holding `slug` as a former slug, the row locked (MariaDB) until the transaction ends; null when none. */
  private async lockRetiredSlug(tx: Tx, slug: string): Promise<{ organisationId: string } | null> {
    const forUpdate = this.db.dialect === "mysql" ? " FOR UPDATE" : "";
    const [held] = (await tx.manager.query(`SELECT organisationId FROM organisation_retired_slugs WHERE slug = ?${forUpdate}`, [slug])) as { organisationId: string }[];
    return held ?? null;
  }

  /**
   * An operator's release of a slug an organisation gave up (`roster org release-slug`): the slug's
   * sign-in URLs stop reaching that organisation at once (its IdP, if it still uses them, gets the
   * not-configured page), and any organisation may then take it. Recorded in the audit trail of the
   * organisation that held it. Not offered to organisation admins: the reservation protects the
   * organisation's own people, so lifting it is the operator's decision. A current slug is refused
   * (a rename gives it up), and so is a slug nobody gave up.
   */
  async releaseSlug(sys: SystemContext, slug: string): Promise<{ organisation: Organisation; slug: string }> {
    const s = slug.trim().toLowerCase();
    const holder = await this.holdingSlug(s);
    if (holder && !holder.former) {
      throw conflict("Organisation", "slug", `"${s}" is the current slug of organisation ${holder.organisation.id} ("${holder.organisation.name}"), not one it gave up: only a former slug can be released`);
    }
    const notRetired = new DomainError("NOT_FOUND", `"${s}" is not a slug any organisation gave up: there is nothing to release`, { resource: "RetiredSlug" });
    if (!holder) throw notRetired;
    return this.db.transaction({ ...sys, organisationId: holder.organisation.id } as RequestContext, async (tx) => {
      // Read again under the lock: the organisation may have taken it back, or another operator released it, since.
      const held = await this.lockRetiredSlug(tx, s);
      if (held?.organisationId !== tx.organisationId) throw notRetired;
      await tx.manager.getRepository(RetiredSlug).delete({ slug: s });
      await this.audit.record(tx, { action: "organisation.slug_released", resourceType: "Organisation", resourceId: tx.organisationId, changes: { formerSlug: { before: s, after: null } } });
      return { organisation: holder.organisation, slug: s };
    });
  }

  /** A new organisation starts with the built-in roles and the seed documents' custom fields. */
  async create(sys: SystemContext, input: { slug: string; name: string }): Promise<Organisation> {
    const problems = new InputProblems();
    const slug = problems.check(() => validateSlug(input.slug)) ?? "";
    const name = problems.check(() => validateName(input.name)) ?? "";
    problems.throwIfAny();
    const now = new Date();
    const org: Organisation = { id: newId(), slug, name, scimEnabled: true, rolesManagedBy: "identityProvider", hasNestedGroups: false, version: 1, createdAt: now, updatedAt: now };
    try {
      return await this.db.transaction({ ...sys, organisationId: org.id } as RequestContext, async (ctx) => {
        await this.claimSlug(ctx, slug, null);
        // updateEntity(false): TypeORM would write MariaDB's raw tinyint back into scimEnabled.
        await ctx.manager.createQueryBuilder().insert().into(Organisation).values(org).updateEntity(false).execute();
        await this.roles.createBuiltIns(ctx);
        await this.customFields.createSeedFields(ctx);
        await this.audit.record(ctx, { action: "organisation.created", resourceType: "Organisation", resourceId: org.id, changes: diffFields({}, { slug, name }) });
        return org;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict("Organisation", "slug", `an organisation with slug "${slug}" already exists`);
      throw err;
    }
  }

  list(): Promise<Organisation[]> {
    return this.db.manager().getRepository(Organisation).find({ order: { slug: "ASC" } });
  }

  async get(ctx: RequestContext): Promise<Organisation> {
    const org = await this.db.manager(ctx).getRepository(Organisation).findOneBy({ id: ctx.organisationId });
    if (!org) throw notFound("Organisation", ctx.organisationId);
    return org;
  }

  findById(id: string): Promise<Organisation | null> {
    return this.db.manager().getRepository(Organisation).findOneBy({ id });
  }

  async getBySlug(slug: string): Promise<Organisation> {
    const org = await this.db.manager().getRepository(Organisation).findOneBy({ slug: slug.toLowerCase() });
    if (!org) throw notFound("Organisation", slug);
    return org;
  }

  /** The organisation a sign-in URL's slug names: its current slug, or one it gave up (see `organisationHoldingSlug`). */
  holdingSlug(slug: string): Promise<SlugHolder | null> {
    return organisationHoldingSlug(this.db.manager(), slug);
  }

  /** The slugs the organisation gave up (reserved to it; sign-in through their URLs still works), the most recent first. */
  formerSlugs(ctx: RequestContext): Promise<RetiredSlug[]> {
    return this.db.manager(ctx).getRepository(RetiredSlug).find({ where: { organisationId: ctx.organisationId }, order: { retiredAt: "DESC", slug: "ASC" } });
  }

  count(): Promise<number> {
    return this.db.manager().getRepository(Organisation).count();
  }

  /**
   * A write that changes nothing keeps the version; one that changes something moves it by one. With
   * `expectedVersion`, an organisation at another version is refused (VERSION_MISMATCH): the row is
   * read locked (MariaDB) so that two writers expecting the same version cannot both pass.
   */
  async update(ctx: RequestContext, changes: OrganisationChanges, options: { expectedVersion?: number } = {}): Promise<Organisation> {
    const next = validateOrganisationChanges(changes);
    try {
      return await this.db.transaction(ctx, async (tx) => {
        const repo = tx.manager.getRepository(Organisation);
        const org = await repo.findOne({ where: { id: tx.organisationId }, ...(this.db.dialect === "mysql" ? { lock: { mode: "pessimistic_write" as const } } : {}) });
        if (!org) throw notFound("Organisation", tx.organisationId);
        assertExpectedVersion("Organisation", org.id, org.version, options.expectedVersion);
        const diff = diffFields(org as unknown as Record<string, unknown>, next as Record<string, unknown>);
        if (Object.keys(diff).length === 0) return org;
        if (diff.slug) {
          await this.claimSlug(tx, next.slug!, org.id);
          await tx.manager.getRepository(RetiredSlug).insert({ slug: org.slug, organisationId: org.id, retiredAt: new Date() });
        }
        Object.assign(org, next, { version: org.version + 1, updatedAt: new Date() });
        await repo.update({ id: org.id }, { ...next, version: org.version, updatedAt: org.updatedAt });
        await this.audit.record(tx, { action: "organisation.updated", resourceType: "Organisation", resourceId: org.id, changes: diff });
        for (const hook of this.onChanged) hook(org.id);
        await this.db.afterCommit(tx, async () => this.onChanged.forEach((hook) => hook(org.id)));
        return org;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict("Organisation", "slug", `an organisation with slug "${next.slug}" already exists`);
      throw err;
    }
  }
}

/**
 * The rules of an organisation's given fields, which need no reading (each left out is not checked):
 * every invalid one at once (the console's organisation form marks each). Returns them as they are stored.
 */
export function validateOrganisationChanges(changes: OrganisationChanges): OrganisationChanges {
  const next: OrganisationChanges = {};
  const problems = new InputProblems();
  if (changes.name !== undefined) next.name = problems.check(() => validateName(changes.name!));
  if (changes.slug !== undefined) next.slug = problems.check(() => validateSlug(changes.slug!));
  if (changes.scimEnabled !== undefined) next.scimEnabled = changes.scimEnabled;
  if (changes.rolesManagedBy !== undefined) next.rolesManagedBy = problems.check(() => validateManagedBy("rolesManagedBy", changes.rolesManagedBy!));
  problems.throwIfAny();
  return next;
}

function validateSlug(slug: string): string {
  const s = slug.trim().toLowerCase();
  if (!SLUG.test(s)) throw invalidInput("slug", "slug must be 1-63 lower-case letters, digits or hyphens, not starting or ending with a hyphen");
  return s;
}

function validateName(name: string): string {
  const n = name.trim();
  if (!n || characterCount(n) > 255) throw invalidInput("name", "name must be 1-255 characters");
  return n;
}

