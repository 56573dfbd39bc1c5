import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * users.departmentKey and users.costCenterKey: the lower-cased value (attributeKey in
 * src/domain/shared/normalise.ts, copied here as it was when this migration was written), each
 * indexed with userNameKey so that an equality filter on department or costCenter reads its users
 * in page order by the index. Added columns, not TypeORM's copy of the table: rebuilding `users`
 * would drop the parent of every user's contacts, roles, values and memberships. Existing users'
 * keys are filled in JavaScript (SQLite's LOWER folds ASCII only), a thousand users a statement.
 * IDX_users_organisation_manager gains userNameKey: a manager's reports are read in page order by it.
 */
export class UserFilterIndexes1795590000000 implements MigrationInterface {
    name = 'UserFilterIndexes1795590000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "users" ADD COLUMN "costCenterKey" varchar(255)`);
        await queryRunner.query(`ALTER TABLE "users" ADD COLUMN "departmentKey" varchar(255)`);
        let after = "";
        for (;;) {
            const rows = (await queryRunner.query(`SELECT id, department, costCenter FROM users WHERE id > ? AND (department IS NOT NULL OR costCenter IS NOT NULL) ORDER BY id LIMIT 1000`, [after])) as { id: string; department: string | null; costCenter: string | null }[];
            if (rows.length === 0) break;
            const cases = (column: string) => `"${column}" = CASE id ${rows.map(() => "WHEN ? THEN ?").join(" ")} END`;
            await queryRunner.query(`UPDATE users SET ${cases("departmentKey")}, ${cases("costCenterKey")} WHERE id IN (${rows.map(() => "?").join(", ")})`, [
                ...rows.flatMap((r) => [r.id, key(r.department)]),
                ...rows.flatMap((r) => [r.id, key(r.costCenter)]),
                ...rows.map((r) => r.id),
            ]);
            after = rows[rows.length - 1].id;
        }
        await queryRunner.query(`CREATE INDEX "IDX_users_organisation_departmentKey" ON "users" ("organisationId", "departmentKey", "userNameKey") `);
        await queryRunner.query(`CREATE INDEX "IDX_users_organisation_costCenterKey" ON "users" ("organisationId", "costCenterKey", "userNameKey") `);
        await queryRunner.query(`DROP INDEX "IDX_users_organisation_manager"`);
        await queryRunner.query(`CREATE INDEX "IDX_users_organisation_manager" ON "users" ("organisationId", "managerId", "userNameKey") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_users_organisation_manager"`);
        await queryRunner.query(`CREATE INDEX "IDX_users_organisation_manager" ON "users" ("organisationId", "managerId") `);
        await queryRunner.query(`DROP INDEX "IDX_users_organisation_costCenterKey"`);
        await queryRunner.query(`DROP INDEX "IDX_users_organisation_departmentKey"`);
        await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "departmentKey"`);
        await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "costCenterKey"`);
    }

}

const key = (value: string | null): string | null => (value === null ? null : [...value.toLowerCase()].slice(0, 255).join(""));
