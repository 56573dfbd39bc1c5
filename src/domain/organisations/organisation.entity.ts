import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * Who manages the organisation's role assignments. `identityProvider` (the default): SCIM writes set
 * them like any other attribute, so a PUT without `roles` clears them (RFC 7644 §3.5.1). `product`:
 * they are assigned in the product (GraphQL `assignRoles`) only; SCIM writes leave them as they are
 * and ignore the roles an IdP sends (§3.5.1 lets a service provider keep attributes a PUT omits).
 */
export const ROLES_MANAGED_BY = ["identityProvider", "product"] as const;
export type RolesManagedBy = (typeof ROLES_MANAGED_BY)[number];

/** A tenant. Every other row belongs to exactly one organisation. */
@Entity("organisations")
export class Organisation {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  /** URL-safe, unique: appears in SSO routes and the CLI. */
  @Index("UQ_organisations_slug", { unique: true })
  @Column({ type: "varchar", length: 63 })
  slug: string;

  @Column({ type: "varchar", length: 255 })
  name: string;

  @Column({ type: "boolean", default: true })
  scimEnabled: boolean;

  @Column({ type: "varchar", length: 20, default: "identityProvider" })
  rolesManagedBy: RolesManagedBy;
  /** Bumped by every write that changes what a client sees of it: the GraphQL optimistic-concurrency token (expectedVersion). */
  @Column({ type: "int", default: 1 })
  version: number;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt: Date;
}
