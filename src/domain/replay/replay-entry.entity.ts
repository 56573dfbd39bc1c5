import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * Single-use values shared by every instance: SAML AuthnRequest ids awaiting their response,
 * consumed assertion ids, JWT ids. A duplicate key means "seen already".
 */
@Entity("replay_entries")
@Index("IDX_replay_entries_expiresAt", ["expiresAt"])
export class ReplayEntry {
  /** Namespaced, e.g. `saml-request:_abc`, `saml-assertion:_def`. */
  @PrimaryColumn({ type: "varchar", length: 255 })
  key: string;

  @Column({ type: "varchar", length: 1024 })
  value: string;

  @Column({ type: "datetime", precision: 3 })
  expiresAt: Date;
}
