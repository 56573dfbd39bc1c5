import { MigrationInterface, QueryRunner } from "typeorm";
import { redactLoggedSecrets } from "../redact-logged-secrets";

/**
 * RedactLoggedSecrets once more, for databases that ran it before its prefilter read entries whose
 * path spells a letter of password percent-encoded (`pa%73sword`): only those entries are read.
 */
export class RedactEncodedLoggedSecrets1795580000010 implements MigrationInterface {
    name = 'RedactEncodedLoggedSecrets1795580000010'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await redactLoggedSecrets(queryRunner, { encodedOnly: true });
    }

    public async down(): Promise<void> {
        // What was redacted is gone.
    }

}
