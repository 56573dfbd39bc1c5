import { MigrationInterface, QueryRunner } from "typeorm";

export class AuditResourceIndex1795502730102 implements MigrationInterface {
    name = 'AuditResourceIndex1795502730102'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_audit_events_resource\` ON \`audit_events\``);
        await queryRunner.query(`CREATE INDEX \`IDX_audit_events_resource\` ON \`audit_events\` (\`organisationId\`, \`resourceId\`, \`occurredAt\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_audit_events_resource\` ON \`audit_events\``);
        await queryRunner.query(`CREATE INDEX \`IDX_audit_events_resource\` ON \`audit_events\` (\`organisationId\`, \`resourceType\`, \`resourceId\`)`);
    }

}
