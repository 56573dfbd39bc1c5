import { MigrationInterface, QueryRunner } from "typeorm";

/** An actor's audit events, newest first: (organisationId, actorId, occurredAt), for GraphQL auditEvents' actor filter. */
export class AuditActorIndex1795579686610 implements MigrationInterface {
    name = 'AuditActorIndex1795579686610'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX IF NOT EXISTS "IDX_audit_events_actor" ON "audit_events" ("organisationId", "actorId", "occurredAt") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_audit_events_actor"`);
    }

}
