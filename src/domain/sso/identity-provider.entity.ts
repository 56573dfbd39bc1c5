import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Organisation } from "../organisations/organisation.entity";

export type IdentityProviderKind = "saml" | "oidc";

/** How a signed-in person is matched to a provisioned user. */
export type UserMatch = "userName" | "email" | "externalId";

export interface SamlSettings {
  idpSsoUrl: string;
  idpEntityId: string;
  /** PEM certificates; two at once while the IdP rotates its signing key. */
  idpCertificates: string[];
  /** `nameID`, or the name of an assertion attribute that carries the identifier. */
  identifierSource: string;
  matchBy: UserMatch;
  /** Okta signs the Response by default; some IdPs sign only the assertion. */
  wantResponseSigned: boolean;
}

export interface OidcSettings {
  issuer: string;
  /** Entra: the tenant id that the `tid` claim must equal. */
  tenantId: string | null;
  clientId: string;
  claim: "preferred_username" | "email" | "upn" | "oid";
  matchBy: UserMatch;
}

/** One organisation's SAML or OIDC sign-in settings. The OIDC client secret is kept apart and never returned. */
@Entity("identity_providers")
@Index("UQ_identity_providers_organisation_kind", ["organisationId", "kind"], { unique: true })
export class IdentityProvider {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @ManyToOne(() => Organisation, { onDelete: "CASCADE" })
  @JoinColumn({ name: "organisationId" })
  organisation?: Organisation;

  @Column({ type: "varchar", length: 8 })
  kind: IdentityProviderKind;

  @Column({ type: "boolean", default: true })
  enabled: boolean;

  @Column({ type: "json" })
  settings: SamlSettings | OidcSettings;

  /**
   * Which identity provider these settings trust: a new random value when the configuration is made
   * and whenever it is replaced with another IdP (see `sameIdentityProvider`), kept through every
   * other change. A session records the value it was signed in under and is over once it differs.
   */
  @Column({ type: "varchar", length: 36 })
  identityVersion: string;

  @Column({ type: "varchar", length: 1024, nullable: true })
  clientSecret: string | null;

  /** Create unknown users on their first sign-in (off by default: provisioning decides who may enter). */
  @Column({ type: "boolean", default: false })
  justInTimeProvisioning: boolean;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt: Date;
}
