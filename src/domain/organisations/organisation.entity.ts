import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** A tenant. Every other row belongs to exactly one organisation. */
@Entity("organisations")
export class Organisation {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  /** URL-safe, unique: appears in SSO routes and the CLI. */
  @Index("UQ_organisations_slug", { unique: true })
  @Column({ type: "varchar", length: 63 })
  slug: string;

  @Column({ type: "varchar", length: 255 })
  name: string;

  @Column({ type: "boolean", default: true })
  scimEnabled: boolean;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt: Date;
}
