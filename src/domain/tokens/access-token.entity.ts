import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Organisation } from "../organisations/organisation.entity";

export const tokenScopes = ["scim", "admin"] as const;
export type TokenScope = (typeof tokenScopes)[number];

/** A bearer credential. Only the SHA-256 of the secret is stored; the secret is shown once. */
@Entity("access_tokens")
@Index("UQ_access_tokens_secretHash", ["secretHash"], { unique: true })
@Index("IDX_access_tokens_organisation", ["organisationId", "createdAt"])
export class AccessToken {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @ManyToOne(() => Organisation, { onDelete: "CASCADE" })
  @JoinColumn({ name: "organisationId" })
  organisation?: Organisation;

  @Column({ type: "varchar", length: 128 })
  name: string;

  @Column({ type: "varchar", length: 16 })
  scope: TokenScope;

  @Column({ type: "varchar", length: 64 })
  secretHash: string;

  /** The first characters of the secret, safe to show, so that a person can tell tokens apart. */
  @Column({ type: "varchar", length: 24 })
  prefix: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  @Column({ type: "datetime", precision: 3, nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  expiresAt: Date | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  revokedAt: Date | null;
}
