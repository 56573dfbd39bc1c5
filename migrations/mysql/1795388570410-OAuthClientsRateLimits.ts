import { MigrationInterface, QueryRunner } from "typeorm";

export class OAuthClientsRateLimits1795388570410 implements MigrationInterface {
    name = 'OAuthClientsRateLimits1795388570410'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`oauth_clients\` (\`id\` varchar(36) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`clientId\` varchar(64) NOT NULL, \`name\` varchar(128) NOT NULL, \`allowedScopes\` varchar(255) NOT NULL DEFAULT 'scim', \`federation\` json NULL, \`createdAt\` datetime(3) NOT NULL, \`revokedAt\` datetime(3) NULL, INDEX \`IDX_oauth_clients_organisation\` (\`organisationId\`, \`createdAt\`), UNIQUE INDEX \`UQ_oauth_clients_clientId\` (\`clientId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`oauth_client_secrets\` (\`id\` varchar(36) NOT NULL, \`clientRowId\` varchar(36) NOT NULL, \`secretHash\` varchar(64) NOT NULL, \`prefix\` varchar(24) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`expiresAt\` datetime(3) NOT NULL, UNIQUE INDEX \`UQ_oauth_client_secrets_hash\` (\`secretHash\`), INDEX \`IDX_oauth_client_secrets_client\` (\`clientRowId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`signing_keys\` (\`kid\` varchar(64) NOT NULL, \`algorithm\` varchar(16) NOT NULL, \`privateJwk\` text NOT NULL, \`publicJwk\` text NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`activeUntil\` datetime(3) NOT NULL, \`expiresAt\` datetime(3) NOT NULL, PRIMARY KEY (\`kid\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`rate_limit_counters\` (\`key\` varchar(255) NOT NULL, \`count\` int NOT NULL, \`expiresAt\` datetime(3) NOT NULL, INDEX \`IDX_rate_limit_counters_expiresAt\` (\`expiresAt\`), PRIMARY KEY (\`key\`)) ENGINE=InnoDB`);
        await queryRunner.query(`ALTER TABLE \`oauth_clients\` ADD CONSTRAINT \`FK_22fa2d6dac0529c38aa46e78a47\` FOREIGN KEY (\`organisationId\`) REFERENCES \`organisations\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`oauth_client_secrets\` ADD CONSTRAINT \`FK_a491a492cb1e5d238dd1509f8bd\` FOREIGN KEY (\`clientRowId\`) REFERENCES \`oauth_clients\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`oauth_client_secrets\` DROP FOREIGN KEY \`FK_a491a492cb1e5d238dd1509f8bd\``);
        await queryRunner.query(`ALTER TABLE \`oauth_clients\` DROP FOREIGN KEY \`FK_22fa2d6dac0529c38aa46e78a47\``);
        await queryRunner.query(`DROP INDEX \`IDX_rate_limit_counters_expiresAt\` ON \`rate_limit_counters\``);
        await queryRunner.query(`DROP TABLE \`rate_limit_counters\``);
        await queryRunner.query(`DROP TABLE \`signing_keys\``);
        await queryRunner.query(`DROP INDEX \`IDX_oauth_client_secrets_client\` ON \`oauth_client_secrets\``);
        await queryRunner.query(`DROP INDEX \`UQ_oauth_client_secrets_hash\` ON \`oauth_client_secrets\``);
        await queryRunner.query(`DROP TABLE \`oauth_client_secrets\``);
        await queryRunner.query(`DROP INDEX \`UQ_oauth_clients_clientId\` ON \`oauth_clients\``);
        await queryRunner.query(`DROP INDEX \`IDX_oauth_clients_organisation\` ON \`oauth_clients\``);
        await queryRunner.query(`DROP TABLE \`oauth_clients\``);
    }

}
