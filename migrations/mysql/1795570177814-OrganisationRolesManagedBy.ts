import { MigrationInterface, QueryRunner } from "typeorm";

/** Who manages an organisation's roles; every existing organisation keeps today's behaviour (its identity provider). */
export class OrganisationRolesManagedBy1795570177814 implements MigrationInterface {
    name = 'OrganisationRolesManagedBy1795570177814'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`organisations\` ADD \`rolesManagedBy\` varchar(20) NOT NULL DEFAULT 'identityProvider'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`organisations\` DROP COLUMN \`rolesManagedBy\``);
    }

}
