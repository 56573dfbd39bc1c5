import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A resource a provisioning-log entry touched, for the entries that touched more than one (a /Bulk
 * request, up to 1,000 operations): a resource's history (`provisioningLog(filter: { resourceId })`)
 * finds such an entry through it. An entry about one resource names it in its own `resourceId`
 * and has no row here. Deleted with its entry by the log's purge.
 */
@Entity("provisioning_log_resources")
// The entries that touched a resource (their ids are in the index: no row is read).
@Index("IDX_provisioning_log_resources_resource", ["organisationId", "resourceId", "entryId"])
export class ProvisioningLogResource {
  @PrimaryColumn({ type: "varchar", length: 36 })
  entryId: string;

  @PrimaryColumn({ type: "varchar", length: 36 })
  resourceId: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;
}
