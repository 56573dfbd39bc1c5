import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A version on roles, custom field definitions and organisations (GraphQL `version`, checked
 * against `expectedVersion` as users' and groups' are); existing rows start at 1.
 *
 * MariaDB/MySQL commit each ALTER at once, outside the migration's transaction: a run interrupted
 * between two of them must not fail on "Duplicate column name" when it runs again, so each column is
 * added only when it is missing.
 */
export class EntityVersions1795570515211 implements MigrationInterface {
    name = 'EntityVersions1795570515211'

    public async up(queryRunner: QueryRunner): Promise<void> {
        for (const table of ["organisations", "custom_field_definitions", "roles"]) {
            if (!(await queryRunner.hasColumn(table, "version"))) await queryRunner.query(`ALTER TABLE \`${table}\` ADD \`version\` int NOT NULL DEFAULT '1'`);
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`roles\` DROP COLUMN \`version\``);
        await queryRunner.query(`ALTER TABLE \`custom_field_definitions\` DROP COLUMN \`version\``);
        await queryRunner.query(`ALTER TABLE \`organisations\` DROP COLUMN \`version\``);
    }

}
