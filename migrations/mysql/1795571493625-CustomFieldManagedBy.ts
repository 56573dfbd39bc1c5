import { MigrationInterface, QueryRunner } from "typeorm";

/** Who manages users' values of each custom field; every existing field keeps today's behaviour (its identity provider). */
export class CustomFieldManagedBy1795571493625 implements MigrationInterface {
    name = 'CustomFieldManagedBy1795571493625'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`custom_field_definitions\` ADD \`managedBy\` varchar(20) NOT NULL DEFAULT 'identityProvider'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`custom_field_definitions\` DROP COLUMN \`managedBy\``);
    }

}
