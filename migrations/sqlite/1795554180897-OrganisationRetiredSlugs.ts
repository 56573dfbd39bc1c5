import { MigrationInterface, QueryRunner } from "typeorm";

/** Slugs an organisation gave up stay reserved to it. */
export class OrganisationRetiredSlugs1795554180897 implements MigrationInterface {
    name = 'OrganisationRetiredSlugs1795554180897'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "organisation_retired_slugs" ("slug" varchar(63) PRIMARY KEY NOT NULL, "organisationId" varchar(36) NOT NULL, "retiredAt" datetime(3) NOT NULL, CONSTRAINT "FK_f4727f8dac1130f24fed734d840" FOREIGN KEY ("organisationId") REFERENCES "organisations" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`CREATE INDEX "IDX_organisation_retired_slugs_organisation" ON "organisation_retired_slugs" ("organisationId") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_organisation_retired_slugs_organisation"`);
        await queryRunner.query(`DROP TABLE "organisation_retired_slugs"`);
    }

}
