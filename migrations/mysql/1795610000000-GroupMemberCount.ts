import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Each group's member count on its row (GraphQL memberCount and members' totalCount read it instead
 * of counting group_memberships): every existing group gets the count of its memberships.
 *
 * MariaDB/MySQL commit the ALTER at once, outside the migration's transaction: a run interrupted
 * after it finds the column there (every count 0) and fills it again.
 */
export class GroupMemberCount1795610000000 implements MigrationInterface {
    name = 'GroupMemberCount1795610000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        if (!(await queryRunner.hasColumn("groups", "memberCount"))) {
            await queryRunner.query(`ALTER TABLE \`groups\` ADD \`memberCount\` int NOT NULL DEFAULT '0'`);
        }
        // Every group, those without members too: one index range of the primary key (groupId, memberId) each.
        await queryRunner.query(`UPDATE \`groups\` g SET g.\`memberCount\` = (SELECT COUNT(*) FROM \`group_memberships\` m WHERE m.\`groupId\` = g.\`id\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`groups\` DROP COLUMN \`memberCount\``);
    }

}
