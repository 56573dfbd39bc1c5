import { MigrationInterface, QueryRunner } from "typeorm";

export class Initial1795387377911 implements MigrationInterface {
    name = 'Initial1795387377911'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`audit_events\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`occurredAt\` datetime(3) NOT NULL, \`actorType\` varchar(8) NOT NULL, \`actorId\` varchar(36) NULL, \`actorLabel\` varchar(255) NOT NULL, \`action\` varchar(64) NOT NULL, \`resourceType\` varchar(32) NOT NULL, \`resourceId\` varchar(36) NULL, \`changes\` json NULL, \`source\` varchar(8) NOT NULL, \`requestId\` varchar(64) NOT NULL, INDEX \`IDX_audit_events_request\` (\`requestId\`), INDEX \`IDX_audit_events_resource\` (\`organisationId\`, \`resourceType\`, \`resourceId\`), INDEX \`IDX_audit_events_organisation_time\` (\`organisationId\`, \`occurredAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`organisations\` (\`id\` varchar(36) NOT NULL, \`slug\` varchar(63) NOT NULL, \`name\` varchar(255) NOT NULL, \`scimEnabled\` tinyint NOT NULL DEFAULT 1, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`UQ_organisations_slug\` (\`slug\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`custom_field_definitions\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`key\` varchar(64) NOT NULL, \`label\` varchar(255) NOT NULL, \`type\` varchar(16) NOT NULL, \`multiValued\` tinyint NOT NULL DEFAULT 0, \`options\` json NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`UQ_custom_field_definitions_organisation_key\` (\`organisationId\`, \`key\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`users\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`userName\` varchar(255) NOT NULL, \`userNameKey\` varchar(255) NOT NULL, \`externalId\` varchar(255) NULL, \`externalIdKey\` varchar(255) NULL, \`active\` tinyint NOT NULL DEFAULT 1, \`displayName\` varchar(255) NULL, \`nickName\` varchar(255) NULL, \`nameFormatted\` varchar(512) NULL, \`givenName\` varchar(255) NULL, \`familyName\` varchar(255) NULL, \`middleName\` varchar(255) NULL, \`honorificPrefix\` varchar(64) NULL, \`honorificSuffix\` varchar(64) NULL, \`title\` varchar(255) NULL, \`userType\` varchar(64) NULL, \`preferredLanguage\` varchar(64) NULL, \`locale\` varchar(64) NULL, \`timezone\` varchar(64) NULL, \`profileUrl\` varchar(1024) NULL, \`employeeNumber\` varchar(64) NULL, \`costCenter\` varchar(255) NULL, \`organization\` varchar(255) NULL, \`division\` varchar(255) NULL, \`department\` varchar(255) NULL, \`managerId\` varchar(36) NULL, \`addresses\` json NULL, \`version\` int NOT NULL DEFAULT '1', \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, INDEX \`IDX_users_organisation_manager\` (\`organisationId\`, \`managerId\`), INDEX \`IDX_users_organisation_updatedAt\` (\`organisationId\`, \`updatedAt\`), UNIQUE INDEX \`UQ_users_organisation_externalIdKey\` (\`organisationId\`, \`externalIdKey\`), UNIQUE INDEX \`UQ_users_organisation_userNameKey\` (\`organisationId\`, \`userNameKey\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`custom_field_values\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`userId\` varchar(36) NOT NULL, \`fieldId\` varchar(36) NOT NULL, \`position\` int NOT NULL, \`value\` varchar(2048) NOT NULL, \`valueKey\` varchar(255) NOT NULL, \`valueNumber\` double NULL, INDEX \`IDX_custom_field_values_lookup\` (\`organisationId\`, \`fieldId\`, \`valueKey\`), INDEX \`IDX_custom_field_values_user\` (\`userId\`, \`fieldId\`, \`position\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`groups\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`displayName\` varchar(255) NOT NULL, \`displayNameKey\` varchar(255) NOT NULL, \`externalId\` varchar(255) NULL, \`version\` int NOT NULL DEFAULT '1', \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, INDEX \`IDX_groups_organisation_updatedAt\` (\`organisationId\`, \`updatedAt\`), INDEX \`IDX_groups_organisation_externalId\` (\`organisationId\`, \`externalId\`), UNIQUE INDEX \`UQ_groups_organisation_displayNameKey\` (\`organisationId\`, \`displayNameKey\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`group_memberships\` (\`groupId\` varchar(36) NOT NULL, \`memberId\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`memberType\` varchar(8) NOT NULL, \`createdAt\` datetime(3) NOT NULL, INDEX \`IDX_group_memberships_member\` (\`memberId\`, \`groupId\`), PRIMARY KEY (\`groupId\`, \`memberId\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`roles\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`name\` varchar(128) NOT NULL, \`nameKey\` varchar(128) NOT NULL, \`description\` varchar(1024) NULL, \`permissions\` json NOT NULL, \`builtIn\` tinyint NOT NULL DEFAULT 0, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`UQ_roles_organisation_nameKey\` (\`organisationId\`, \`nameKey\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`role_assignments\` (\`userId\` varchar(36) NOT NULL, \`roleId\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, INDEX \`IDX_role_assignments_role\` (\`roleId\`, \`userId\`), PRIMARY KEY (\`userId\`, \`roleId\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`access_tokens\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`name\` varchar(128) NOT NULL, \`scope\` varchar(16) NOT NULL, \`secretHash\` varchar(64) NOT NULL, \`prefix\` varchar(24) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`lastUsedAt\` datetime(3) NULL, \`expiresAt\` datetime(3) NULL, \`revokedAt\` datetime(3) NULL, INDEX \`IDX_access_tokens_organisation\` (\`organisationId\`, \`createdAt\`), UNIQUE INDEX \`UQ_access_tokens_secretHash\` (\`secretHash\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`user_contacts\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`userId\` varchar(36) NOT NULL, \`kind\` varchar(8) NOT NULL, \`position\` int NOT NULL, \`value\` varchar(320) NOT NULL, \`valueKey\` varchar(320) NOT NULL, \`type\` varchar(64) NULL, \`primary\` tinyint NOT NULL DEFAULT 0, \`display\` varchar(255) NULL, INDEX \`IDX_user_contacts_lookup\` (\`organisationId\`, \`kind\`, \`valueKey\`), INDEX \`IDX_user_contacts_user\` (\`userId\`, \`kind\`, \`position\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`ALTER TABLE \`custom_field_definitions\` ADD CONSTRAINT \`FK_e4e676d08e266f2df1337674616\` FOREIGN KEY (\`organisationId\`) REFERENCES \`organisations\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`users\` ADD CONSTRAINT \`FK_4bba96961e0142c06aa921ce27f\` FOREIGN KEY (\`organisationId\`) REFERENCES \`organisations\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`users\` ADD CONSTRAINT \`FK_874662e039ab7d31a71450eb501\` FOREIGN KEY (\`managerId\`) REFERENCES \`users\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`custom_field_values\` ADD CONSTRAINT \`FK_ca67d39277828370cb9f12e0483\` FOREIGN KEY (\`userId\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`custom_field_values\` ADD CONSTRAINT \`FK_a1d3f40c3e282a59daa8675f72a\` FOREIGN KEY (\`fieldId\`) REFERENCES \`custom_field_definitions\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`groups\` ADD CONSTRAINT \`FK_4259bc54ab804e710b8e8c85132\` FOREIGN KEY (\`organisationId\`) REFERENCES \`organisations\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`group_memberships\` ADD CONSTRAINT \`FK_a434c0d46f4b97696924ecdd176\` FOREIGN KEY (\`groupId\`) REFERENCES \`groups\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`roles\` ADD CONSTRAINT \`FK_7312ad5dc02404626a3af795e38\` FOREIGN KEY (\`organisationId\`) REFERENCES \`organisations\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`role_assignments\` ADD CONSTRAINT \`FK_4c31464b76da5895e211a5d2099\` FOREIGN KEY (\`userId\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`role_assignments\` ADD CONSTRAINT \`FK_6000ca1e3e8add1eb504f139a7b\` FOREIGN KEY (\`roleId\`) REFERENCES \`roles\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`access_tokens\` ADD CONSTRAINT \`FK_dd0de824b94089a362733b374d0\` FOREIGN KEY (\`organisationId\`) REFERENCES \`organisations\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`user_contacts\` ADD CONSTRAINT \`FK_30fcfbc780a02d200e0589b2886\` FOREIGN KEY (\`userId\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`user_contacts\` DROP FOREIGN KEY \`FK_30fcfbc780a02d200e0589b2886\``);
        await queryRunner.query(`ALTER TABLE \`access_tokens\` DROP FOREIGN KEY \`FK_dd0de824b94089a362733b374d0\``);
        await queryRunner.query(`ALTER TABLE \`role_assignments\` DROP FOREIGN KEY \`FK_6000ca1e3e8add1eb504f139a7b\``);
        await queryRunner.query(`ALTER TABLE \`role_assignments\` DROP FOREIGN KEY \`FK_4c31464b76da5895e211a5d2099\``);
        await queryRunner.query(`ALTER TABLE \`roles\` DROP FOREIGN KEY \`FK_7312ad5dc02404626a3af795e38\``);
        await queryRunner.query(`ALTER TABLE \`group_memberships\` DROP FOREIGN KEY \`FK_a434c0d46f4b97696924ecdd176\``);
        await queryRunner.query(`ALTER TABLE \`groups\` DROP FOREIGN KEY \`FK_4259bc54ab804e710b8e8c85132\``);
        await queryRunner.query(`ALTER TABLE \`custom_field_values\` DROP FOREIGN KEY \`FK_a1d3f40c3e282a59daa8675f72a\``);
        await queryRunner.query(`ALTER TABLE \`custom_field_values\` DROP FOREIGN KEY \`FK_ca67d39277828370cb9f12e0483\``);
        await queryRunner.query(`ALTER TABLE \`users\` DROP FOREIGN KEY \`FK_874662e039ab7d31a71450eb501\``);
        await queryRunner.query(`ALTER TABLE \`users\` DROP FOREIGN KEY \`FK_4bba96961e0142c06aa921ce27f\``);
        await queryRunner.query(`ALTER TABLE \`custom_field_definitions\` DROP FOREIGN KEY \`FK_e4e676d08e266f2df1337674616\``);
        await queryRunner.query(`DROP INDEX \`IDX_user_contacts_user\` ON \`user_contacts\``);
        await queryRunner.query(`DROP INDEX \`IDX_user_contacts_lookup\` ON \`user_contacts\``);
        await queryRunner.query(`DROP TABLE \`user_contacts\``);
        await queryRunner.query(`DROP INDEX \`UQ_access_tokens_secretHash\` ON \`access_tokens\``);
        await queryRunner.query(`DROP INDEX \`IDX_access_tokens_organisation\` ON \`access_tokens\``);
        await queryRunner.query(`DROP TABLE \`access_tokens\``);
        await queryRunner.query(`DROP INDEX \`IDX_role_assignments_role\` ON \`role_assignments\``);
        await queryRunner.query(`DROP TABLE \`role_assignments\``);
        await queryRunner.query(`DROP INDEX \`UQ_roles_organisation_nameKey\` ON \`roles\``);
        await queryRunner.query(`DROP TABLE \`roles\``);
        await queryRunner.query(`DROP INDEX \`IDX_group_memberships_member\` ON \`group_memberships\``);
        await queryRunner.query(`DROP TABLE \`group_memberships\``);
        await queryRunner.query(`DROP INDEX \`UQ_groups_organisation_displayNameKey\` ON \`groups\``);
        await queryRunner.query(`DROP INDEX \`IDX_groups_organisation_externalId\` ON \`groups\``);
        await queryRunner.query(`DROP INDEX \`IDX_groups_organisation_updatedAt\` ON \`groups\``);
        await queryRunner.query(`DROP TABLE \`groups\``);
        await queryRunner.query(`DROP INDEX \`IDX_custom_field_values_user\` ON \`custom_field_values\``);
        await queryRunner.query(`DROP INDEX \`IDX_custom_field_values_lookup\` ON \`custom_field_values\``);
        await queryRunner.query(`DROP TABLE \`custom_field_values\``);
        await queryRunner.query(`DROP INDEX \`UQ_users_organisation_userNameKey\` ON \`users\``);
        await queryRunner.query(`DROP INDEX \`UQ_users_organisation_externalIdKey\` ON \`users\``);
        await queryRunner.query(`DROP INDEX \`IDX_users_organisation_updatedAt\` ON \`users\``);
        await queryRunner.query(`DROP INDEX \`IDX_users_organisation_manager\` ON \`users\``);
        await queryRunner.query(`DROP TABLE \`users\``);
        await queryRunner.query(`DROP INDEX \`UQ_custom_field_definitions_organisation_key\` ON \`custom_field_definitions\``);
        await queryRunner.query(`DROP TABLE \`custom_field_definitions\``);
        await queryRunner.query(`DROP INDEX \`UQ_organisations_slug\` ON \`organisations\``);
        await queryRunner.query(`DROP TABLE \`organisations\``);
        await queryRunner.query(`DROP INDEX \`IDX_audit_events_organisation_time\` ON \`audit_events\``);
        await queryRunner.query(`DROP INDEX \`IDX_audit_events_resource\` ON \`audit_events\``);
        await queryRunner.query(`DROP INDEX \`IDX_audit_events_request\` ON \`audit_events\``);
        await queryRunner.query(`DROP TABLE \`audit_events\``);
    }

}
