import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Organisation } from "../organisations/organisation.entity";
import type { ManagedBy } from "../shared/managed-by";

export const customFieldTypes = ["string", "number", "boolean", "date", "enum"] as const;
export type CustomFieldType = (typeof customFieldTypes)[number];

/** An organisation's own user attribute (e.g. `area`, `location`): a definition row, never a column. */
@Entity("custom_field_definitions")
@Index("UQ_custom_field_definitions_organisation_key", ["organisationId", "key"], { unique: true })
export class CustomFieldDefinition {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @ManyToOne(() => Organisation, { onDelete: "CASCADE" })
  @JoinColumn({ name: "organisationId" })
  organisation?: Organisation;

  /** Attribute name in SCIM and GraphQL: letters, digits and `_`, starting with a letter. */
  @Column({ type: "varchar", length: 64 })
  key: string;

  @Column({ type: "varchar", length: 255 })
  label: string;

  @Column({ type: "varchar", length: 16 })
  type: CustomFieldType;

  @Column({ type: "boolean", default: false })
  multiValued: boolean;

  /** Allowed values of an `enum` field. */
  @Column({ type: "json", nullable: true })
  options: string[] | null;

  /**
   * Who manages users' values of it (see ManagedBy). `product`: set in the product only
   * (GraphQL `setCustomFieldValues`); SCIM writes leave them as they are and ignore the values sent.
   */
  @Column({ type: "varchar", length: 20, default: "identityProvider" })
  managedBy: ManagedBy;

  /** Bumped by every write that changes what a client sees of it: the GraphQL optimistic-concurrency token (expectedVersion). */
  @Column({ type: "int", default: 1 })
  version: number;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt: Date;
}
