import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A resource's audit trail and provisioning log by (organisationId, resourceId, occurredAt).
 *
 * Brings the indexes to that shape from whatever state it finds them in, so that it also completes on
 * a database that ran this migration's two earlier versions (ProvisioningLogResourceIndex1795502600534
 * and AuditResourceIndex1795502724904, commits 40f4ce7 and 048dc96), which made the same indexes.
 */
export class ResourceHistoryIndexes1795505314292 implements MigrationInterface {
    name = 'ResourceHistoryIndexes1795505314292'

    public async up(queryRunner: QueryRunner): Promise<void> {
        const columns = async (index: string): Promise<string> => {
            const rows = (await queryRunner.query(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, [index])) as { name: string }[];
            return rows.map((r) => r.name).join(",");
        };
        const audit = await columns("IDX_audit_events_resource");
        if (audit !== "organisationId,resourceId,occurredAt") {
            await queryRunner.query(`DROP INDEX IF EXISTS "IDX_audit_events_resource"`);
            await queryRunner.query(`CREATE INDEX "IDX_audit_events_resource" ON "audit_events" ("organisationId", "resourceId", "occurredAt") `);
        }
        await queryRunner.query(`DROP INDEX IF EXISTS "IDX_provisioning_log_request"`);
        await queryRunner.query(`CREATE INDEX IF NOT EXISTS "IDX_provisioning_log_resource" ON "provisioning_log_entries" ("organisationId", "resourceId", "occurredAt") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_provisioning_log_resource"`);
        await queryRunner.query(`DROP INDEX "IDX_audit_events_resource"`);
        await queryRunner.query(`CREATE INDEX "IDX_provisioning_log_request" ON "provisioning_log_entries" ("requestId") `);
        await queryRunner.query(`CREATE INDEX "IDX_audit_events_resource" ON "audit_events" ("organisationId", "resourceType", "resourceId") `);
    }

}
