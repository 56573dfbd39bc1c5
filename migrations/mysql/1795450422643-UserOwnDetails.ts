import { MigrationInterface, QueryRunner } from "typeorm";

/** users.ownDetails (see src/domain/users/own-details.ts): NULL for existing users, whose reads use the tables until a write fills it. */
export class UserOwnDetails1795450422643 implements MigrationInterface {
    name = 'UserOwnDetails1795450422643'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`users\` ADD \`ownDetails\` json NULL`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`ownDetails\``);
    }

}
