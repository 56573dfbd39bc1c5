import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Sessions record the identity provider configuration they signed in through
 * (sessions.identityProviderId), and a configuration the identity of the IdP it trusts
 * (identity_providers.identityVersion): deleting a configuration, or replacing it with another IdP,
 * ends those sessions. An existing configuration takes its own id as its first identity version; an
 * existing signed-in session takes the id of its organisation's configuration of its protocol (an
 * organisation has at most one of each kind), a thousand sessions a statement.
 */
export class IdentityProviderSessions1795561192098 implements MigrationInterface {
    name = 'IdentityProviderSessions1795561192098'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "sessions" ADD COLUMN "identityProviderId" varchar(36)`);
        await queryRunner.query(`CREATE INDEX "IDX_sessions_identityProvider" ON "sessions" ("identityProviderId") `);
        await queryRunner.query(`DROP INDEX "UQ_identity_providers_organisation_kind"`);
        await queryRunner.query(`CREATE TABLE "temporary_identity_providers" ("id" varchar(36) PRIMARY KEY NOT NULL, "organisationId" varchar(36) NOT NULL, "kind" varchar(8) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "settings" json NOT NULL, "clientSecret" varchar(1024), "justInTimeProvisioning" boolean NOT NULL DEFAULT (0), "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, "identityVersion" varchar(36) NOT NULL, CONSTRAINT "FK_c7340526b10b715c6c3b4086a0c" FOREIGN KEY ("organisationId") REFERENCES "organisations" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_identity_providers"("id", "organisationId", "kind", "enabled", "settings", "clientSecret", "justInTimeProvisioning", "createdAt", "updatedAt", "identityVersion") SELECT "id", "organisationId", "kind", "enabled", "settings", "clientSecret", "justInTimeProvisioning", "createdAt", "updatedAt", "id" FROM "identity_providers"`);
        await queryRunner.query(`DROP TABLE "identity_providers"`);
        await queryRunner.query(`ALTER TABLE "temporary_identity_providers" RENAME TO "identity_providers"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_identity_providers_organisation_kind" ON "identity_providers" ("organisationId", "kind") `);
        for (let after = ""; ; ) {
            const ids = ((await queryRunner.query(`SELECT id FROM sessions WHERE id > ? AND userId IS NOT NULL ORDER BY id LIMIT 1000`, [after])) as { id: string }[]).map((r) => r.id);
            if (ids.length === 0) break;
            await queryRunner.query(
                `UPDATE sessions SET identityProviderId = (SELECT i.id FROM identity_providers i WHERE i.organisationId = sessions.organisationId ` +
                    `AND i.kind = CASE WHEN json_valid(sessions.data) THEN json_extract(sessions.data, '$.passport.user.protocol') END) WHERE id IN (${ids.map(() => "?").join(", ")})`,
                ids,
            );
            after = ids[ids.length - 1];
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_sessions_identityProvider"`);
        await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "identityProviderId"`);
        await queryRunner.query(`ALTER TABLE "identity_providers" DROP COLUMN "identityVersion"`);
    }

}
