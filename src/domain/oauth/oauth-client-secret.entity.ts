import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { OAuthClient } from "./oauth-client.entity";

/** One secret of an OAuth client; several at once so that a secret rotates without downtime. */
@Entity("oauth_client_secrets")
@Index("IDX_oauth_client_secrets_client", ["clientRowId"])
@Index("UQ_oauth_client_secrets_hash", ["secretHash"], { unique: true })
export class OAuthClientSecret {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  clientRowId: string;

  @ManyToOne(() => OAuthClient, { onDelete: "CASCADE" })
  @JoinColumn({ name: "clientRowId" })
  client?: OAuthClient;

  /** SHA-256 of the secret; the secret itself is shown once. */
  @Column({ type: "varchar", length: 64 })
  secretHash: string;

  @Column({ type: "varchar", length: 24 })
  prefix: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  /** Between one and three years after creation; an expired secret never gets a token. */
  @Column({ type: "datetime", precision: 3 })
  expiresAt: Date;
}
