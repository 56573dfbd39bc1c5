import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** One SCIM request as an admin needs to see it to understand a provisioning cycle. */
@Entity("provisioning_log_entries")
@Index("IDX_provisioning_log_organisation_time", ["organisationId", "occurredAt"])
@Index("IDX_provisioning_log_organisation_status", ["organisationId", "status", "occurredAt"])
// A resource's history (GraphQL `provisioningLog(filter: { resourceId })`), newest first, without
// reading the organisation's whole log. (No index on requestId: no query looks an entry up by it; an
// entry's audit events are found through the audit trail's own requestId index.)
@Index("IDX_provisioning_log_resource", ["organisationId", "resourceId", "occurredAt"])
export class ProvisioningLogEntry {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @Column({ type: "datetime", precision: 3 })
  occurredAt: Date;

  @Column({ type: "varchar", length: 64 })
  requestId: string;

  @Column({ type: "varchar", length: 36, nullable: true })
  tokenId: string | null;

  /** The credential's name and prefix (never the secret). */
  @Column({ type: "varchar", length: 255 })
  tokenLabel: string;

  @Column({ type: "varchar", length: 8 })
  method: string;

  @Column({ type: "varchar", length: 1024 })
  path: string;

  @Column({ type: "int" })
  status: number;

  @Column({ type: "int" })
  durationMs: number;

  @Column({ type: "varchar", length: 16, nullable: true })
  resourceType: string | null;

  @Column({ type: "varchar", length: 36, nullable: true })
  resourceId: string | null;

  /** How the request was read: which IdP quirks applied ("op name lower-cased", …). */
  @Column({ type: "json" })
  notes: string[];

  @Column({ type: "varchar", length: 32, nullable: true })
  scimType: string | null;

  @Column({ type: "varchar", length: 1024, nullable: true })
  errorDetail: string | null;

  /** The request body with passwords and secrets removed; dropped after the retention period. */
  @Column({ type: "json", nullable: true })
  requestBody: unknown;
}
