import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A resource's audit trail and provisioning log by (organisationId, resourceId, occurredAt).
 *
 * Brings the indexes to that shape from whatever state it finds them in, so that it also completes:
 * - a run interrupted halfway: MariaDB/MySQL commit each DDL statement at once, so a run killed (or
 *   failed) after its first DROP left that index gone while the migration was not recorded, and every
 *   later start failed on the same DROP;
 * - a database that ran this migration's two earlier versions (ProvisioningLogResourceIndex1795502605719
 *   and AuditResourceIndex1795502730102, commits 40f4ce7 and 048dc96), which made the same indexes.
 */
export class ResourceHistoryIndexes1795505319370 implements MigrationInterface {
    name = 'ResourceHistoryIndexes1795505319370'

    public async up(queryRunner: QueryRunner): Promise<void> {
        const columns = async (table: string, index: string): Promise<string> => {
            const rows = (await queryRunner.query(`SELECT COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX`, [table, index])) as { c: string }[];
            return rows.map((r) => r.c).join(",");
        };
        const audit = await columns("audit_events", "IDX_audit_events_resource");
        if (audit !== "organisationId,resourceId,occurredAt") {
            if (audit) await queryRunner.query(`DROP INDEX \`IDX_audit_events_resource\` ON \`audit_events\``);
            await queryRunner.query(`CREATE INDEX \`IDX_audit_events_resource\` ON \`audit_events\` (\`organisationId\`, \`resourceId\`, \`occurredAt\`)`);
        }
        if (await columns("provisioning_log_entries", "IDX_provisioning_log_request")) await queryRunner.query(`DROP INDEX \`IDX_provisioning_log_request\` ON \`provisioning_log_entries\``);
        if (!(await columns("provisioning_log_entries", "IDX_provisioning_log_resource"))) await queryRunner.query(`CREATE INDEX \`IDX_provisioning_log_resource\` ON \`provisioning_log_entries\` (\`organisationId\`, \`resourceId\`, \`occurredAt\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_provisioning_log_resource\` ON \`provisioning_log_entries\``);
        await queryRunner.query(`DROP INDEX \`IDX_audit_events_resource\` ON \`audit_events\``);
        await queryRunner.query(`CREATE INDEX \`IDX_provisioning_log_request\` ON \`provisioning_log_entries\` (\`requestId\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_audit_events_resource\` ON \`audit_events\` (\`organisationId\`, \`resourceType\`, \`resourceId\`)`);
    }

}
