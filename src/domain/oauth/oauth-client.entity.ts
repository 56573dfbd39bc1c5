import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Organisation } from "../organisations/organisation.entity";

/** Entra workload identity federation: the Entra-signed assertion this client presents instead of a secret. */
export interface FederatedCredential {
  /** e.g. https://login.microsoftonline.com/<tenant>/v2.0 */
  issuer: string;
  jwksUrl: string;
  subject: string;
  audience: string;
  /** The `tid` claim must equal this when set. */
  tenantId: string | null;
}

/** An OAuth 2.0 client of the SCIM API (client credentials, RFC 6749 §4.4), owned by one organisation. */
@Entity("oauth_clients")
@Index("UQ_oauth_clients_clientId", ["clientId"], { unique: true })
@Index("IDX_oauth_clients_organisation", ["organisationId", "createdAt"])
export class OAuthClient {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @ManyToOne(() => Organisation, { onDelete: "CASCADE" })
  @JoinColumn({ name: "organisationId" })
  organisation?: Organisation;

  /** The public identifier the IdP is configured with. */
  @Column({ type: "varchar", length: 64 })
  clientId: string;

  @Column({ type: "varchar", length: 128 })
  name: string;

  /** Space-separated scopes this client may be granted, e.g. `scim` or `scim:read`. */
  @Column({ type: "varchar", length: 255, default: "scim" })
  allowedScopes: string;

  @Column({ type: "json", nullable: true })
  federation: FederatedCredential | null;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  /** A revoked client gets no token, and the tokens it holds stop working at once. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  revokedAt: Date | null;
}
