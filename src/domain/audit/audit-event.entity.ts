import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import type { Actor, ChangeSource } from "../../platform/request-context";

export interface FieldChange {
  before: unknown;
  after: unknown;
}

/** Who changed what, when, from where: written in the same transaction as the change itself. */
@Entity("audit_events")
@Index("IDX_audit_events_organisation_time", ["organisationId", "occurredAt"])
// A resource's history, newest first (the console's user and group pages ask for it by resourceId
// alone: ids are unique across types). Before, (organisationId, resourceType, resourceId) served
// only queries naming the type, and those by id alone read the organisation's whole trail.
@Index("IDX_audit_events_resource", ["organisationId", "resourceId", "occurredAt"])
@Index("IDX_audit_events_request", ["requestId"])
// One actor's changes, newest first (GraphQL auditEvents' actor filter by id: a token's or a user's).
// The organisation's time index read every event of the organisation to find a rare actor's.
@Index("IDX_audit_events_actor", ["organisationId", "actorId", "occurredAt"])
export class AuditEvent {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @Column({ type: "datetime", precision: 3 })
  occurredAt: Date;

  @Column({ type: "varchar", length: 8 })
  actorType: Actor["type"];

  @Column({ type: "varchar", length: 36, nullable: true })
  actorId: string | null;

  @Column({ type: "varchar", length: 255 })
  actorLabel: string;

  /** e.g. `user.created`, `group.members.added`. */
  @Column({ type: "varchar", length: 64 })
  action: string;

  @Column({ type: "varchar", length: 32 })
  resourceType: string;

  @Column({ type: "varchar", length: 36, nullable: true })
  resourceId: string | null;

  @Column({ type: "json", nullable: true })
  changes: Record<string, FieldChange> | null;

  @Column({ type: "varchar", length: 8 })
  source: ChangeSource;

  @Column({ type: "varchar", length: 64 })
  requestId: string;
}
