import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A version on roles, custom field definitions and organisations (GraphQL `version`, checked
 * against `expectedVersion` as users' and groups' are); existing rows start at 1.
 *
 * Added in place (ALTER TABLE … ADD COLUMN) rather than by the generator's copy of each table: a
 * copy of `organisations` dropped the table every other one refers to.
 */
export class EntityVersions1795570476493 implements MigrationInterface {
    name = 'EntityVersions1795570476493'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "organisations" ADD COLUMN "version" integer NOT NULL DEFAULT (1)`);
        await queryRunner.query(`ALTER TABLE "custom_field_definitions" ADD COLUMN "version" integer NOT NULL DEFAULT (1)`);
        await queryRunner.query(`ALTER TABLE "roles" ADD COLUMN "version" integer NOT NULL DEFAULT (1)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "roles" DROP COLUMN "version"`);
        await queryRunner.query(`ALTER TABLE "custom_field_definitions" DROP COLUMN "version"`);
        await queryRunner.query(`ALTER TABLE "organisations" DROP COLUMN "version"`);
    }

}
