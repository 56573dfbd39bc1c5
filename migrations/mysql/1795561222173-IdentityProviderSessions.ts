import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Sessions record the identity provider configuration they signed in through
 * (sessions.identityProviderId), and a configuration the identity of the IdP it trusts
 * (identity_providers.identityVersion): deleting a configuration, or replacing it with another IdP,
 * ends those sessions. An existing configuration takes its own id as its first identity version; an
 * existing signed-in session takes the id of its organisation's configuration of its protocol (an
 * organisation has at most one of each kind), a thousand sessions a statement.
 *
 * Resumable: MariaDB/MySQL commit each DDL statement at once, so a run stopped halfway leaves what it
 * did, and the next run does the rest.
 */
export class IdentityProviderSessions1795561222173 implements MigrationInterface {
    name = 'IdentityProviderSessions1795561222173'

    public async up(queryRunner: QueryRunner): Promise<void> {
        const hasColumn = async (table: string, column: string) =>
            ((await queryRunner.query(`SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, [table, column])) as unknown[]).length > 0;
        const hasIndex = async (table: string, index: string) =>
            ((await queryRunner.query(`SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?`, [table, index])) as unknown[]).length > 0;
        if (!(await hasColumn("sessions", "identityProviderId"))) await queryRunner.query(`ALTER TABLE \`sessions\` ADD \`identityProviderId\` varchar(36) NULL`);
        if (!(await hasIndex("sessions", "IDX_sessions_identityProvider"))) await queryRunner.query(`CREATE INDEX \`IDX_sessions_identityProvider\` ON \`sessions\` (\`identityProviderId\`)`);
        if (!(await hasColumn("identity_providers", "identityVersion"))) await queryRunner.query(`ALTER TABLE \`identity_providers\` ADD \`identityVersion\` varchar(36) NOT NULL`);
        await queryRunner.query(`UPDATE \`identity_providers\` SET \`identityVersion\` = \`id\` WHERE \`identityVersion\` = ''`);
        for (let after = ""; ; ) {
            const ids = ((await queryRunner.query(`SELECT id FROM sessions WHERE id > ? AND userId IS NOT NULL AND identityProviderId IS NULL ORDER BY id LIMIT 1000`, [after])) as { id: string }[]).map((r) => r.id);
            if (ids.length === 0) break;
            await queryRunner.query(
                `UPDATE sessions s JOIN identity_providers i ON i.organisationId = s.organisationId AND i.kind = CONVERT(CASE WHEN JSON_VALID(s.data) THEN JSON_UNQUOTE(JSON_EXTRACT(s.data, '$.passport.user.protocol')) END USING utf8mb4) COLLATE utf8mb4_unicode_ci ` +
                    `SET s.identityProviderId = i.id WHERE s.id IN (${ids.map(() => "?").join(", ")})`,
                ids,
            );
            after = ids[ids.length - 1];
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_sessions_identityProvider\` ON \`sessions\``);
        await queryRunner.query(`ALTER TABLE \`identity_providers\` DROP COLUMN \`identityVersion\``);
        await queryRunner.query(`ALTER TABLE \`sessions\` DROP COLUMN \`identityProviderId\``);
    }

}
