import { MigrationInterface, QueryRunner } from "typeorm";

export class ResourceHistoryIndexes1795505314292 implements MigrationInterface {
    name = 'ResourceHistoryIndexes1795505314292'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_audit_events_resource"`);
        await queryRunner.query(`DROP INDEX "IDX_provisioning_log_request"`);
        await queryRunner.query(`CREATE INDEX "IDX_audit_events_resource" ON "audit_events" ("organisationId", "resourceId", "occurredAt") `);
        await queryRunner.query(`CREATE INDEX "IDX_provisioning_log_resource" ON "provisioning_log_entries" ("organisationId", "resourceId", "occurredAt") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_provisioning_log_resource"`);
        await queryRunner.query(`DROP INDEX "IDX_audit_events_resource"`);
        await queryRunner.query(`CREATE INDEX "IDX_provisioning_log_request" ON "provisioning_log_entries" ("requestId") `);
        await queryRunner.query(`CREATE INDEX "IDX_audit_events_resource" ON "audit_events" ("organisationId", "resourceType", "resourceId") `);
    }

}
