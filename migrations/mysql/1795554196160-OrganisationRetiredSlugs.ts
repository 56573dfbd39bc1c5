import { MigrationInterface, QueryRunner } from "typeorm";

/** Slugs an organisation gave up stay reserved to it (one statement: nothing half-done to resume). */
export class OrganisationRetiredSlugs1795554196160 implements MigrationInterface {
    name = 'OrganisationRetiredSlugs1795554196160'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`organisation_retired_slugs\` (\`slug\` varchar(63) NOT NULL, \`organisationId\` varchar(36) NOT NULL, \`retiredAt\` datetime(3) NOT NULL, INDEX \`IDX_organisation_retired_slugs_organisation\` (\`organisationId\`), PRIMARY KEY (\`slug\`), CONSTRAINT \`FK_f4727f8dac1130f24fed734d840\` FOREIGN KEY (\`organisationId\`) REFERENCES \`organisations\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION) ENGINE=InnoDB`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE \`organisation_retired_slugs\``);
    }

}
