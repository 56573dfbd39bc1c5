import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The comparison keys (userNameKey, externalIdKey, displayNameKey, nameKey, valueKey) are normalised
 * in JavaScript (src/domain/shared/normalise.ts) and compared byte for byte, as SQLite compares them.
 * They had the database's default collation (utf8mb4_general_ci or _unicode_ci), for which "jose"
 * and "josé" are equal: a SCIM lookup of one answered the other, and creating the second was a 409.
 * Going to a finer collation cannot make two existing keys collide. Rebuilds the tables' key indexes.
 * (The entities leave collation unset: TypeORM's MySQL driver does not compare it, and SQLite's
 * default, BINARY, is already the rule.)
 */
const KEY_COLUMNS: Record<string, [column: string, definition: string][]> = {
  users: [
    ["userNameKey", "varchar(255) NOT NULL"],
    ["externalIdKey", "varchar(255) NULL"],
  ],
  groups: [["displayNameKey", "varchar(255) NOT NULL"]],
  roles: [["nameKey", "varchar(128) NOT NULL"]],
  user_contacts: [["valueKey", "varchar(320) NOT NULL"]],
  custom_field_values: [["valueKey", "varchar(255) NOT NULL"]],
};

const [type, nullability] = [(d: string) => d.split(" ")[0], (d: string) => d.split(" ").slice(1).join(" ")];

export class BinaryKeyCollation1795460000000 implements MigrationInterface {
    name = 'BinaryKeyCollation1795460000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        for (const [table, columns] of Object.entries(KEY_COLUMNS)) {
            const changes = columns.map(([c, d]) => `MODIFY \`${c}\` ${type(d)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ${nullability(d)}`);
            await queryRunner.query(`ALTER TABLE \`${table}\` ${changes.join(", ")}`);
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        // Back to the table's default collation (keys that differ only by accents would then collide).
        for (const [table, columns] of Object.entries(KEY_COLUMNS)) {
            const changes = columns.map(([c, d]) => `MODIFY \`${c}\` ${d}`);
            await queryRunner.query(`ALTER TABLE \`${table}\` ${changes.join(", ")}`);
        }
    }

}
