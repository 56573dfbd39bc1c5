import { MigrationInterface, QueryRunner } from "typeorm";

export class ProvisioningLogSsoSessions1795387970077 implements MigrationInterface {
    name = 'ProvisioningLogSsoSessions1795387970077'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`provisioning_log_entries\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`occurredAt\` datetime(3) NOT NULL, \`requestId\` varchar(64) NOT NULL, \`tokenId\` varchar(36) NULL, \`tokenLabel\` varchar(255) NOT NULL, \`method\` varchar(8) NOT NULL, \`path\` varchar(1024) NOT NULL, \`status\` int NOT NULL, \`durationMs\` int NOT NULL, \`resourceType\` varchar(16) NULL, \`resourceId\` varchar(36) NULL, \`notes\` json NOT NULL, \`scimType\` varchar(32) NULL, \`errorDetail\` varchar(1024) NULL, \`requestBody\` json NULL, INDEX \`IDX_provisioning_log_request\` (\`requestId\`), INDEX \`IDX_provisioning_log_organisation_status\` (\`organisationId\`, \`status\`, \`occurredAt\`), INDEX \`IDX_provisioning_log_organisation_time\` (\`organisationId\`, \`occurredAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`replay_entries\` (\`key\` varchar(255) NOT NULL, \`value\` varchar(1024) NOT NULL, \`expiresAt\` datetime(3) NOT NULL, INDEX \`IDX_replay_entries_expiresAt\` (\`expiresAt\`), PRIMARY KEY (\`key\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`sessions\` (\`id\` varchar(128) NOT NULL, \`organisationId\` varchar(36) NULL, \`userId\` varchar(36) NULL, \`data\` text NOT NULL, \`expiresAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, INDEX \`IDX_sessions_expiresAt\` (\`expiresAt\`), INDEX \`IDX_sessions_user\` (\`userId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`identity_providers\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`kind\` varchar(8) NOT NULL, \`enabled\` tinyint NOT NULL DEFAULT 1, \`settings\` json NOT NULL, \`clientSecret\` varchar(1024) NULL, \`justInTimeProvisioning\` tinyint NOT NULL DEFAULT 0, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`UQ_identity_providers_organisation_kind\` (\`organisationId\`, \`kind\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`ALTER TABLE \`identity_providers\` ADD CONSTRAINT \`FK_c7340526b10b715c6c3b4086a0c\` FOREIGN KEY (\`organisationId\`) REFERENCES \`organisations\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`identity_providers\` DROP FOREIGN KEY \`FK_c7340526b10b715c6c3b4086a0c\``);
        await queryRunner.query(`DROP INDEX \`UQ_identity_providers_organisation_kind\` ON \`identity_providers\``);
        await queryRunner.query(`DROP TABLE \`identity_providers\``);
        await queryRunner.query(`DROP INDEX \`IDX_sessions_user\` ON \`sessions\``);
        await queryRunner.query(`DROP INDEX \`IDX_sessions_expiresAt\` ON \`sessions\``);
        await queryRunner.query(`DROP TABLE \`sessions\``);
        await queryRunner.query(`DROP INDEX \`IDX_replay_entries_expiresAt\` ON \`replay_entries\``);
        await queryRunner.query(`DROP TABLE \`replay_entries\``);
        await queryRunner.query(`DROP INDEX \`IDX_provisioning_log_organisation_time\` ON \`provisioning_log_entries\``);
        await queryRunner.query(`DROP INDEX \`IDX_provisioning_log_organisation_status\` ON \`provisioning_log_entries\``);
        await queryRunner.query(`DROP INDEX \`IDX_provisioning_log_request\` ON \`provisioning_log_entries\``);
        await queryRunner.query(`DROP TABLE \`provisioning_log_entries\``);
    }

}
