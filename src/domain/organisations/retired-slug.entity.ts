import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Organisation } from "./organisation.entity";

/**
 * A slug an organisation no longer uses, reserved to it: identity providers set up with it (SAML
 * ACS URL and audience, OIDC redirect URI) may still send its people there, so no other organisation
 * may take it.
 */
@Entity("organisation_retired_slugs")
export class RetiredSlug {
  @PrimaryColumn({ type: "varchar", length: 63 })
  slug: string;

  @Index("IDX_organisation_retired_slugs_organisation")
  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @ManyToOne(() => Organisation, { onDelete: "CASCADE" })
  @JoinColumn({ name: "organisationId" })
  organisation?: Organisation;

  @Column({ type: "datetime", precision: 3 })
  retiredAt: Date;
}
