import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Each group's member count on its row (GraphQL memberCount and members' totalCount read it instead
 * of counting group_memberships): every existing group gets the count of its memberships. An added
 * column, not TypeORM's copy of the table: rebuilding `groups` would drop its memberships (their
 * foreign key cascades).
 */
export class GroupMemberCount1795610000010 implements MigrationInterface {
    name = 'GroupMemberCount1795610000010'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "groups" ADD COLUMN "memberCount" integer NOT NULL DEFAULT (0)`);
        await queryRunner.query(`UPDATE "groups" SET "memberCount" = (SELECT COUNT(*) FROM "group_memberships" m WHERE m."groupId" = "groups"."id")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "groups" DROP COLUMN "memberCount"`);
    }

}
