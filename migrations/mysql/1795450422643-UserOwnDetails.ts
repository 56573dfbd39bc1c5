import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * users.ownDetails (see src/domain/users/own-details.ts), filled for existing users from their
 * contacts, roles and custom values, a thousand users a statement. The UPDATE is a copy of
 * fillOwnDetailsSql as it was when this migration was written (a migration must not change later).
 *
 * MariaDB/MySQL commit the ALTER at once, outside the migration's transaction: a run interrupted during
 * the fill (the process killed, a lock wait timeout) left the column without recording the migration,
 * and every later start failed on "Duplicate column name". The column is therefore added only when it
 * is missing, and the fill goes on from the users still NULL.
 */
export class UserOwnDetails1795450422643 implements MigrationInterface {
    name = 'UserOwnDetails1795450422643'

    public async up(queryRunner: QueryRunner): Promise<void> {
        if (!(await queryRunner.hasColumn("users", "ownDetails"))) await queryRunner.query(`ALTER TABLE \`users\` ADD \`ownDetails\` json NULL`);
        for (;;) {
            const ids = (await queryRunner.query(`SELECT id FROM users WHERE ownDetails IS NULL LIMIT 1000`) as { id: string }[]).map((r) => r.id);
            if (ids.length === 0) break;
            await queryRunner.query(`UPDATE users SET ownDetails = JSON_MERGE_PRESERVE(COALESCE((SELECT JSON_ARRAYAGG(JSON_ARRAY('c', c.position, c.id, c.kind, c.value, c.valueKey, c.type, c.display, c.\`primary\`)) FROM user_contacts c WHERE c.userId = users.id), '[]'), COALESCE((SELECT JSON_ARRAYAGG(JSON_ARRAY('r', 0, ra.roleId, NULL, NULL, NULL, NULL, NULL, NULL)) FROM role_assignments ra WHERE ra.userId = users.id), '[]'), COALESCE((SELECT JSON_ARRAYAGG(JSON_ARRAY('v', v.position, v.fieldId, v.value, 0, NULL, NULL, NULL, v.valueNumber)) FROM custom_field_values v WHERE v.userId = users.id), '[]')) WHERE id IN (${ids.map(() => "?").join(", ")})`, ids);
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`ownDetails\``);
    }

}
