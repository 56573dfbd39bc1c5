import { MigrationInterface, QueryRunner } from "typeorm";

export class OAuthClientsRateLimits1795388568040 implements MigrationInterface {
    name = 'OAuthClientsRateLimits1795388568040'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "oauth_clients" ("id" varchar(36) PRIMARY KEY NOT NULL, "organisationId" varchar(36) NOT NULL, "clientId" varchar(64) NOT NULL, "name" varchar(128) NOT NULL, "allowedScopes" varchar(255) NOT NULL DEFAULT ('scim'), "federation" json, "createdAt" datetime(3) NOT NULL, "revokedAt" datetime(3))`);
        await queryRunner.query(`CREATE INDEX "IDX_oauth_clients_organisation" ON "oauth_clients" ("organisationId", "createdAt") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_oauth_clients_clientId" ON "oauth_clients" ("clientId") `);
        await queryRunner.query(`CREATE TABLE "oauth_client_secrets" ("id" varchar(36) PRIMARY KEY NOT NULL, "clientRowId" varchar(36) NOT NULL, "secretHash" varchar(64) NOT NULL, "prefix" varchar(24) NOT NULL, "createdAt" datetime(3) NOT NULL, "expiresAt" datetime(3) NOT NULL)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_oauth_client_secrets_hash" ON "oauth_client_secrets" ("secretHash") `);
        await queryRunner.query(`CREATE INDEX "IDX_oauth_client_secrets_client" ON "oauth_client_secrets" ("clientRowId") `);
        await queryRunner.query(`CREATE TABLE "signing_keys" ("kid" varchar(64) PRIMARY KEY NOT NULL, "algorithm" varchar(16) NOT NULL, "privateJwk" text NOT NULL, "publicJwk" text NOT NULL, "createdAt" datetime(3) NOT NULL, "activeUntil" datetime(3) NOT NULL, "expiresAt" datetime(3) NOT NULL)`);
        await queryRunner.query(`CREATE TABLE "rate_limit_counters" ("key" varchar(255) PRIMARY KEY NOT NULL, "count" integer NOT NULL, "expiresAt" datetime(3) NOT NULL)`);
        await queryRunner.query(`CREATE INDEX "IDX_rate_limit_counters_expiresAt" ON "rate_limit_counters" ("expiresAt") `);
        await queryRunner.query(`DROP INDEX "IDX_oauth_clients_organisation"`);
        await queryRunner.query(`DROP INDEX "UQ_oauth_clients_clientId"`);
        await queryRunner.query(`CREATE TABLE "temporary_oauth_clients" ("id" varchar(36) PRIMARY KEY NOT NULL, "organisationId" varchar(36) NOT NULL, "clientId" varchar(64) NOT NULL, "name" varchar(128) NOT NULL, "allowedScopes" varchar(255) NOT NULL DEFAULT ('scim'), "federation" json, "createdAt" datetime(3) NOT NULL, "revokedAt" datetime(3), CONSTRAINT "FK_22fa2d6dac0529c38aa46e78a47" FOREIGN KEY ("organisationId") REFERENCES "organisations" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_oauth_clients"("id", "organisationId", "clientId", "name", "allowedScopes", "federation", "createdAt", "revokedAt") SELECT "id", "organisationId", "clientId", "name", "allowedScopes", "federation", "createdAt", "revokedAt" FROM "oauth_clients"`);
        await queryRunner.query(`DROP TABLE "oauth_clients"`);
        await queryRunner.query(`ALTER TABLE "temporary_oauth_clients" RENAME TO "oauth_clients"`);
        await queryRunner.query(`CREATE INDEX "IDX_oauth_clients_organisation" ON "oauth_clients" ("organisationId", "createdAt") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_oauth_clients_clientId" ON "oauth_clients" ("clientId") `);
        await queryRunner.query(`DROP INDEX "UQ_oauth_client_secrets_hash"`);
        await queryRunner.query(`DROP INDEX "IDX_oauth_client_secrets_client"`);
        await queryRunner.query(`CREATE TABLE "temporary_oauth_client_secrets" ("id" varchar(36) PRIMARY KEY NOT NULL, "clientRowId" varchar(36) NOT NULL, "secretHash" varchar(64) NOT NULL, "prefix" varchar(24) NOT NULL, "createdAt" datetime(3) NOT NULL, "expiresAt" datetime(3) NOT NULL, CONSTRAINT "FK_a491a492cb1e5d238dd1509f8bd" FOREIGN KEY ("clientRowId") REFERENCES "oauth_clients" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_oauth_client_secrets"("id", "clientRowId", "secretHash", "prefix", "createdAt", "expiresAt") SELECT "id", "clientRowId", "secretHash", "prefix", "createdAt", "expiresAt" FROM "oauth_client_secrets"`);
        await queryRunner.query(`DROP TABLE "oauth_client_secrets"`);
        await queryRunner.query(`ALTER TABLE "temporary_oauth_client_secrets" RENAME TO "oauth_client_secrets"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_oauth_client_secrets_hash" ON "oauth_client_secrets" ("secretHash") `);
        await queryRunner.query(`CREATE INDEX "IDX_oauth_client_secrets_client" ON "oauth_client_secrets" ("clientRowId") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_oauth_client_secrets_client"`);
        await queryRunner.query(`DROP INDEX "UQ_oauth_client_secrets_hash"`);
        await queryRunner.query(`ALTER TABLE "oauth_client_secrets" RENAME TO "temporary_oauth_client_secrets"`);
        await queryRunner.query(`CREATE TABLE "oauth_client_secrets" ("id" varchar(36) PRIMARY KEY NOT NULL, "clientRowId" varchar(36) NOT NULL, "secretHash" varchar(64) NOT NULL, "prefix" varchar(24) NOT NULL, "createdAt" datetime(3) NOT NULL, "expiresAt" datetime(3) NOT NULL)`);
        await queryRunner.query(`INSERT INTO "oauth_client_secrets"("id", "clientRowId", "secretHash", "prefix", "createdAt", "expiresAt") SELECT "id", "clientRowId", "secretHash", "prefix", "createdAt", "expiresAt" FROM "temporary_oauth_client_secrets"`);
        await queryRunner.query(`DROP TABLE "temporary_oauth_client_secrets"`);
        await queryRunner.query(`CREATE INDEX "IDX_oauth_client_secrets_client" ON "oauth_client_secrets" ("clientRowId") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_oauth_client_secrets_hash" ON "oauth_client_secrets" ("secretHash") `);
        await queryRunner.query(`DROP INDEX "UQ_oauth_clients_clientId"`);
        await queryRunner.query(`DROP INDEX "IDX_oauth_clients_organisation"`);
        await queryRunner.query(`ALTER TABLE "oauth_clients" RENAME TO "temporary_oauth_clients"`);
        await queryRunner.query(`CREATE TABLE "oauth_clients" ("id" varchar(36) PRIMARY KEY NOT NULL, "organisationId" varchar(36) NOT NULL, "clientId" varchar(64) NOT NULL, "name" varchar(128) NOT NULL, "allowedScopes" varchar(255) NOT NULL DEFAULT ('scim'), "federation" json, "createdAt" datetime(3) NOT NULL, "revokedAt" datetime(3))`);
        await queryRunner.query(`INSERT INTO "oauth_clients"("id", "organisationId", "clientId", "name", "allowedScopes", "federation", "createdAt", "revokedAt") SELECT "id", "organisationId", "clientId", "name", "allowedScopes", "federation", "createdAt", "revokedAt" FROM "temporary_oauth_clients"`);
        await queryRunner.query(`DROP TABLE "temporary_oauth_clients"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_oauth_clients_clientId" ON "oauth_clients" ("clientId") `);
        await queryRunner.query(`CREATE INDEX "IDX_oauth_clients_organisation" ON "oauth_clients" ("organisationId", "createdAt") `);
        await queryRunner.query(`DROP INDEX "IDX_rate_limit_counters_expiresAt"`);
        await queryRunner.query(`DROP TABLE "rate_limit_counters"`);
        await queryRunner.query(`DROP TABLE "signing_keys"`);
        await queryRunner.query(`DROP INDEX "IDX_oauth_client_secrets_client"`);
        await queryRunner.query(`DROP INDEX "UQ_oauth_client_secrets_hash"`);
        await queryRunner.query(`DROP TABLE "oauth_client_secrets"`);
        await queryRunner.query(`DROP INDEX "UQ_oauth_clients_clientId"`);
        await queryRunner.query(`DROP INDEX "IDX_oauth_clients_organisation"`);
        await queryRunner.query(`DROP TABLE "oauth_clients"`);
    }

}
