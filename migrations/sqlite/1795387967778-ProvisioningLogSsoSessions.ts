import { MigrationInterface, QueryRunner } from "typeorm";

export class ProvisioningLogSsoSessions1795387967778 implements MigrationInterface {
    name = 'ProvisioningLogSsoSessions1795387967778'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "provisioning_log_entries" ("id" varchar(36) PRIMARY KEY NOT NULL, "organisationId" varchar(36) NOT NULL, "occurredAt" datetime(3) NOT NULL, "requestId" varchar(64) NOT NULL, "tokenId" varchar(36), "tokenLabel" varchar(255) NOT NULL, "method" varchar(8) NOT NULL, "path" varchar(1024) NOT NULL, "status" integer NOT NULL, "durationMs" integer NOT NULL, "resourceType" varchar(16), "resourceId" varchar(36), "notes" json NOT NULL, "scimType" varchar(32), "errorDetail" varchar(1024), "requestBody" json)`);
        await queryRunner.query(`CREATE INDEX "IDX_provisioning_log_request" ON "provisioning_log_entries" ("requestId") `);
        await queryRunner.query(`CREATE INDEX "IDX_provisioning_log_organisation_status" ON "provisioning_log_entries" ("organisationId", "status", "occurredAt") `);
        await queryRunner.query(`CREATE INDEX "IDX_provisioning_log_organisation_time" ON "provisioning_log_entries" ("organisationId", "occurredAt") `);
        await queryRunner.query(`CREATE TABLE "replay_entries" ("key" varchar(255) PRIMARY KEY NOT NULL, "value" varchar(1024) NOT NULL, "expiresAt" datetime(3) NOT NULL)`);
        await queryRunner.query(`CREATE INDEX "IDX_replay_entries_expiresAt" ON "replay_entries" ("expiresAt") `);
        await queryRunner.query(`CREATE TABLE "sessions" ("id" varchar(128) PRIMARY KEY NOT NULL, "organisationId" varchar(36), "userId" varchar(36), "data" text NOT NULL, "expiresAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL)`);
        await queryRunner.query(`CREATE INDEX "IDX_sessions_expiresAt" ON "sessions" ("expiresAt") `);
        await queryRunner.query(`CREATE INDEX "IDX_sessions_user" ON "sessions" ("userId") `);
        await queryRunner.query(`CREATE TABLE "identity_providers" ("id" varchar(36) PRIMARY KEY NOT NULL, "organisationId" varchar(36) NOT NULL, "kind" varchar(8) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "settings" json NOT NULL, "clientSecret" varchar(1024), "justInTimeProvisioning" boolean NOT NULL DEFAULT (0), "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_identity_providers_organisation_kind" ON "identity_providers" ("organisationId", "kind") `);
        await queryRunner.query(`DROP INDEX "UQ_identity_providers_organisation_kind"`);
        await queryRunner.query(`CREATE TABLE "temporary_identity_providers" ("id" varchar(36) PRIMARY KEY NOT NULL, "organisationId" varchar(36) NOT NULL, "kind" varchar(8) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "settings" json NOT NULL, "clientSecret" varchar(1024), "justInTimeProvisioning" boolean NOT NULL DEFAULT (0), "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, CONSTRAINT "FK_c7340526b10b715c6c3b4086a0c" FOREIGN KEY ("organisationId") REFERENCES "organisations" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_identity_providers"("id", "organisationId", "kind", "enabled", "settings", "clientSecret", "justInTimeProvisioning", "createdAt", "updatedAt") SELECT "id", "organisationId", "kind", "enabled", "settings", "clientSecret", "justInTimeProvisioning", "createdAt", "updatedAt" FROM "identity_providers"`);
        await queryRunner.query(`DROP TABLE "identity_providers"`);
        await queryRunner.query(`ALTER TABLE "temporary_identity_providers" RENAME TO "identity_providers"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_identity_providers_organisation_kind" ON "identity_providers" ("organisationId", "kind") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "UQ_identity_providers_organisation_kind"`);
        await queryRunner.query(`ALTER TABLE "identity_providers" RENAME TO "temporary_identity_providers"`);
        await queryRunner.query(`CREATE TABLE "identity_providers" ("id" varchar(36) PRIMARY KEY NOT NULL, "organisationId" varchar(36) NOT NULL, "kind" varchar(8) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "settings" json NOT NULL, "clientSecret" varchar(1024), "justInTimeProvisioning" boolean NOT NULL DEFAULT (0), "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL)`);
        await queryRunner.query(`INSERT INTO "identity_providers"("id", "organisationId", "kind", "enabled", "settings", "clientSecret", "justInTimeProvisioning", "createdAt", "updatedAt") SELECT "id", "organisationId", "kind", "enabled", "settings", "clientSecret", "justInTimeProvisioning", "createdAt", "updatedAt" FROM "temporary_identity_providers"`);
        await queryRunner.query(`DROP TABLE "temporary_identity_providers"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_identity_providers_organisation_kind" ON "identity_providers" ("organisationId", "kind") `);
        await queryRunner.query(`DROP INDEX "UQ_identity_providers_organisation_kind"`);
        await queryRunner.query(`DROP TABLE "identity_providers"`);
        await queryRunner.query(`DROP INDEX "IDX_sessions_user"`);
        await queryRunner.query(`DROP INDEX "IDX_sessions_expiresAt"`);
        await queryRunner.query(`DROP TABLE "sessions"`);
        await queryRunner.query(`DROP INDEX "IDX_replay_entries_expiresAt"`);
        await queryRunner.query(`DROP TABLE "replay_entries"`);
        await queryRunner.query(`DROP INDEX "IDX_provisioning_log_organisation_time"`);
        await queryRunner.query(`DROP INDEX "IDX_provisioning_log_organisation_status"`);
        await queryRunner.query(`DROP INDEX "IDX_provisioning_log_request"`);
        await queryRunner.query(`DROP TABLE "provisioning_log_entries"`);
    }

}
