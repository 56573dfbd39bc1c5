import { MigrationInterface, QueryRunner } from "typeorm";

export class ProvisioningLogResourceIndex1795502605719 implements MigrationInterface {
    name = 'ProvisioningLogResourceIndex1795502605719'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_provisioning_log_request\` ON \`provisioning_log_entries\``);
        await queryRunner.query(`CREATE INDEX \`IDX_provisioning_log_resource\` ON \`provisioning_log_entries\` (\`organisationId\`, \`resourceId\`, \`occurredAt\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_provisioning_log_resource\` ON \`provisioning_log_entries\``);
        await queryRunner.query(`CREATE INDEX \`IDX_provisioning_log_request\` ON \`provisioning_log_entries\` (\`requestId\`)`);
    }

}
