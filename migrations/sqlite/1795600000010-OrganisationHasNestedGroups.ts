import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Whether an organisation has nested groups (a group with a group as a member): SCIM reads of users
 * walk up to indirect groups only there. Set for the organisations that already have such a
 * membership. An added column, not TypeORM's copy of the table: rebuilding `organisations` would
 * drop the parent of every other table.
 */
export class OrganisationHasNestedGroups1795600000010 implements MigrationInterface {
    name = 'OrganisationHasNestedGroups1795600000010'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "organisations" ADD COLUMN "hasNestedGroups" boolean NOT NULL DEFAULT (0)`);
        await queryRunner.query(`UPDATE "organisations" SET "hasNestedGroups" = 1 WHERE EXISTS (SELECT 1 FROM "group_memberships" m WHERE m."organisationId" = "organisations"."id" AND m."memberType" = 'group')`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "organisations" DROP COLUMN "hasNestedGroups"`);
    }

}
