import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { MANAGED_BY, type ManagedBy } from "../shared/managed-by";

/** Who manages the organisation's role assignments (see ManagedBy): with `product`, only GraphQL `assignRoles` sets them. */
export const ROLES_MANAGED_BY = MANAGED_BY;
export type RolesManagedBy = ManagedBy;

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

  /**
   * Whether a group of the organisation has ever had a group as a member. Set (in the transaction
   * that inserts such a membership) and never cleared: until it is set, SCIM reads of users ask for
   * no indirect groups and pay no probe for them (Okta and Entra push no nested groups).
   */
  @Column({ type: "boolean", default: false })
  hasNestedGroups: boolean;
  /** Bumped by every write that changes what a client sees of it: the GraphQL optimistic-concurrency token (expectedVersion). */
  @Column({ type: "int", default: 1 })
  version: number;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt: Date;
}
