import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Who manages an organisation's roles; every existing organisation keeps today's behaviour (its
 * identity provider). An added column, not TypeORM's copy of the table: rebuilding `organisations`
 * would drop the parent of every other table.
 */
export class OrganisationRolesManagedBy1795570164571 implements MigrationInterface {
    name = 'OrganisationRolesManagedBy1795570164571'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "organisations" ADD COLUMN "rolesManagedBy" varchar(20) NOT NULL DEFAULT ('identityProvider')`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "organisations" DROP COLUMN "rolesManagedBy"`);
    }

}
