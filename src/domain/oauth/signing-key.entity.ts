import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * A key Roster signs access tokens with. Shared by every instance through the database; keys
 * rotate: a new key signs, retired keys stay published in the JWKS until their tokens expire.
 */
@Entity("signing_keys")
export class SigningKey {
  /** The JWK `kid`. */
  @PrimaryColumn({ type: "varchar", length: 64 })
  kid: string;

  @Column({ type: "varchar", length: 16 })
  algorithm: string;

  @Column({ type: "text" })
  privateJwk: string;

  @Column({ type: "text" })
  publicJwk: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  /** No longer signs after this time; still verifies until `expiresAt`. */
  @Column({ type: "datetime", precision: 3 })
  activeUntil: Date;

  @Column({ type: "datetime", precision: 3 })
  expiresAt: Date;
}
