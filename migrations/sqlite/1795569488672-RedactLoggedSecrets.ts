import { MigrationInterface, QueryRunner } from "typeorm";
import { redactLoggedSecrets } from "../redact-logged-secrets";

/**
 * Provisioning-log entries written before filters and PATCH paths naming password were redacted get
 * the redaction the live code applies: their path, errorDetail and body (see redactLoggedSecrets).
 */
export class RedactLoggedSecrets1795569488672 implements MigrationInterface {
    name = 'RedactLoggedSecrets1795569488672'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await redactLoggedSecrets(queryRunner);
    }

    public async down(): Promise<void> {
        // What was redacted is gone.
    }

}
