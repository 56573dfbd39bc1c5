import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * users.departmentKey and users.costCenterKey: the lower-cased value (attributeKey in
 * src/domain/shared/normalise.ts, copied here as it was when this migration was written), byte for
 * byte (utf8mb4_bin, as the other key columns), each indexed with userNameKey so that an equality
 * filter on department or costCenter reads its users in page order by the index instead of every
 * user of the organisation. Existing users' keys are filled in JavaScript (SQL's LOWER folds
 * differently), a thousand users a statement, before the indexes are built.
 *
 * IDX_users_organisation_manager gains userNameKey: a manager's reports (a managerId filter, and
 * User.directReports) are then read in page order by the index, where MariaDB otherwise chose to walk
 * the organisation's users in userName order (no sort for a LIMIT) and skip everyone else's reports.
 */
export class UserFilterIndexes1795590000000 implements MigrationInterface {
    name = 'UserFilterIndexes1795590000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`users\` ADD \`costCenterKey\` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, ADD \`departmentKey\` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL`);
        await fillKeys(queryRunner);
        await queryRunner.query(`CREATE INDEX \`IDX_users_organisation_departmentKey\` ON \`users\` (\`organisationId\`, \`departmentKey\`, \`userNameKey\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_users_organisation_costCenterKey\` ON \`users\` (\`organisationId\`, \`costCenterKey\`, \`userNameKey\`)`);
        await queryRunner.query(`ALTER TABLE \`users\` DROP INDEX \`IDX_users_organisation_manager\`, ADD INDEX \`IDX_users_organisation_manager\` (\`organisationId\`, \`managerId\`, \`userNameKey\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`users\` DROP INDEX \`IDX_users_organisation_manager\`, ADD INDEX \`IDX_users_organisation_manager\` (\`organisationId\`, \`managerId\`)`);
        await queryRunner.query(`DROP INDEX \`IDX_users_organisation_costCenterKey\` ON \`users\``);
        await queryRunner.query(`DROP INDEX \`IDX_users_organisation_departmentKey\` ON \`users\``);
        await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`departmentKey\`, DROP COLUMN \`costCenterKey\``);
    }

}

const key = (value: string | null): string | null => (value === null ? null : [...value.toLowerCase()].slice(0, 255).join(""));

/** Every user with a department or cost centre gets its keys, by id order, a thousand a statement. */
async function fillKeys(queryRunner: QueryRunner): Promise<void> {
    let after = "";
    for (;;) {
        const rows = (await queryRunner.query(`SELECT id, department, costCenter FROM users WHERE id > ? AND (department IS NOT NULL OR costCenter IS NOT NULL) ORDER BY id LIMIT 1000`, [after])) as { id: string; department: string | null; costCenter: string | null }[];
        if (rows.length === 0) return;
        const cases = (column: string) => `${column} = CASE id ${rows.map(() => "WHEN ? THEN ?").join(" ")} END`;
        await queryRunner.query(`UPDATE users SET ${cases("departmentKey")}, ${cases("costCenterKey")} WHERE id IN (${rows.map(() => "?").join(", ")})`, [
            ...rows.flatMap((r) => [r.id, key(r.department)]),
            ...rows.flatMap((r) => [r.id, key(r.costCenter)]),
            ...rows.map((r) => r.id),
        ]);
        after = rows[rows.length - 1].id;
    }
}
