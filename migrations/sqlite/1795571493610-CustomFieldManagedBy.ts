import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Who manages users' values of each custom field; every existing field keeps today's behaviour (its
 * identity provider). An added column, not TypeORM's copy of the table: rebuilding
 * `custom_field_definitions` would drop the parent of users' custom field values.
 */
export class CustomFieldManagedBy1795571493610 implements MigrationInterface {
    name = 'CustomFieldManagedBy1795571493610'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "custom_field_definitions" ADD COLUMN "managedBy" varchar(20) NOT NULL DEFAULT ('identityProvider')`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "custom_field_definitions" DROP COLUMN "managedBy"`);
    }

}
