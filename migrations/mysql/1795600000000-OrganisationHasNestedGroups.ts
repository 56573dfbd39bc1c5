import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Whether an organisation has nested groups (a group with a group as a member): SCIM reads of users
 * walk up to indirect groups only there. Set for the organisations that already have such a membership.
 */
export class OrganisationHasNestedGroups1795600000000 implements MigrationInterface {
    name = 'OrganisationHasNestedGroups1795600000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // MariaDB commits each ALTER at once: a run stopped after it finds the column there.
        if (!(await queryRunner.hasColumn("organisations", "hasNestedGroups"))) {
            await queryRunner.query(`ALTER TABLE \`organisations\` ADD \`hasNestedGroups\` tinyint NOT NULL DEFAULT 0`);
        }
        await queryRunner.query(`UPDATE \`organisations\` o SET o.\`hasNestedGroups\` = 1 WHERE EXISTS (SELECT 1 FROM \`group_memberships\` m WHERE m.\`organisationId\` = o.\`id\` AND m.\`memberType\` = 'group')`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`organisations\` DROP COLUMN \`hasNestedGroups\``);
    }

}
