import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * An actor's audit events, newest first: (organisationId, actorId, occurredAt), for GraphQL
 * auditEvents' actor filter. InnoDB builds a secondary index in place without blocking writes.
 * A run interrupted after the CREATE (MariaDB commits DDL at once) finds the index and goes on.
 */
export class AuditActorIndex1795579686617 implements MigrationInterface {
    name = 'AuditActorIndex1795579686617'

    public async up(queryRunner: QueryRunner): Promise<void> {
        const [{ n }] = (await queryRunner.query(`SELECT COUNT(*) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit_events' AND INDEX_NAME = 'IDX_audit_events_actor'`)) as { n: number | string }[];
        if (Number(n) === 0) await queryRunner.query(`CREATE INDEX \`IDX_audit_events_actor\` ON \`audit_events\` (\`organisationId\`, \`actorId\`, \`occurredAt\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_audit_events_actor\` ON \`audit_events\``);
    }

}
