import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The resources a provisioning-log entry touched when it touched more than one (a /Bulk request): a
 * resource's history finds every Bulk that touched it. Entries written before keep only their own
 * resourceId (for a Bulk, the last resource it touched).
 */
export class ProvisioningLogResources1795600059061 implements MigrationInterface {
    name = 'ProvisioningLogResources1795600059061'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "provisioning_log_resources" ("entryId" varchar(36) NOT NULL, "resourceId" varchar(36) NOT NULL, "organisationId" varchar(36) NOT NULL, PRIMARY KEY ("entryId", "resourceId"))`);
        await queryRunner.query(`CREATE INDEX "IDX_provisioning_log_resources_resource" ON "provisioning_log_resources" ("organisationId", "resourceId", "entryId") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_provisioning_log_resources_resource"`);
        await queryRunner.query(`DROP TABLE "provisioning_log_resources"`);
    }

}
