import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { lowerCaseKey } from "../shared/normalise";
import { User } from "./user.entity";


export type ContactKind = "email" | "phone";

/**
 * One email address or phone number of a user (SCIM `emails` / `phoneNumbers` elements). Kept in
 * their own table so that "find the user whose work email is x" is an indexed lookup.
 */
@Entity("user_contacts")
@Index("IDX_user_contacts_user", ["userId", "kind", "position"])
@Index("IDX_user_contacts_lookup", ["organisationId", "kind", "valueKey"])
export class UserContact {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @Column({ type: "varchar", length: 36 })
  userId: string;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  @JoinColumn({ name: "userId" })
  user?: User;

  @Column({ type: "varchar", length: 8 })
  kind: ContactKind;

  @Column({ type: "int" })
  position: number;

  @Column({ type: "varchar", length: 320 })
  value: string;

  /** Lower-cased value for case-insensitive lookups. */
  @Column({ type: "varchar", length: 320 })
  valueKey: string;

  @Column({ type: "varchar", length: 64, nullable: true })
  type: string | null;

  @Column({ type: "boolean", default: false })
  primary: boolean;

  @Column({ type: "varchar", length: 255, nullable: true })
  display: string | null;
}

/** A contact's `valueKey` as writes store it (values are trimmed), and as equality filters must compute it. */
export const contactValueKey = (value: string): string => lowerCaseKey(value.trim());
