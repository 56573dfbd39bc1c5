import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** A browser session, in the database so that any instance can serve any request. */
@Entity("sessions")
@Index("IDX_sessions_user", ["userId"])
@Index("IDX_sessions_expiresAt", ["expiresAt"])
@Index("IDX_sessions_identityProvider", ["identityProviderId"])
export class Session {
  @PrimaryColumn({ type: "varchar", length: 128 })
  id: string;

  @Column({ type: "varchar", length: 36, nullable: true })
  organisationId: string | null;

  /** Set once signed in: de-activating the user deletes these rows. */
  @Column({ type: "varchar", length: 36, nullable: true })
  userId: string | null;

  /** The identity provider configuration the user signed in through: deleting or replacing it deletes these rows. */
  @Column({ type: "varchar", length: 36, nullable: true })
  identityProviderId: string | null;

  @Column({ type: "text" })
  data: string;

  @Column({ type: "datetime", precision: 3 })
  expiresAt: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt: Date;
}
