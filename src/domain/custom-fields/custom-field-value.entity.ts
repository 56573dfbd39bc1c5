import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { lowerCaseKey } from "../shared/normalise";
import { User } from "../users/user.entity";
import { CustomFieldDefinition } from "./custom-field-definition.entity";


/** One value of one custom field of one user (several rows for a multi-valued field). */
@Entity("custom_field_values")
@Index("IDX_custom_field_values_user", ["userId", "fieldId", "position"])
@Index("IDX_custom_field_values_lookup", ["organisationId", "fieldId", "valueKey"])
export class CustomFieldValue {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @Column({ type: "varchar", length: 36 })
  userId: string;

  @Column({ type: "varchar", length: 36 })
  fieldId: string;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  @JoinColumn({ name: "userId" })
  user?: User;

  @ManyToOne(() => CustomFieldDefinition, { onDelete: "CASCADE" })
  @JoinColumn({ name: "fieldId" })
  field?: CustomFieldDefinition;

  @Column({ type: "int" })
  position: number;

  /** Canonical text: numbers as written by JSON, booleans `true`/`false`, dates `YYYY-MM-DD`. */
  @Column({ type: "varchar", length: 2048 })
  value: string;

  /** Lower-cased and cut to 255 characters: an indexable equality key. */
  @Column({ type: "varchar", length: 255 })
  valueKey: string;

  /** Set for number fields, so that gt/lt compare numbers. */
  @Column({ type: "double", nullable: true })
  valueNumber: number | null;
}

/** The length of `valueKey`: a longer value keeps its key's first 255 characters. */
export const CUSTOM_VALUE_KEY_LENGTH = 255;

/** A text value's `valueKey` as writes store it (and equality filters must compute it). */
export const customValueKey = (value: string): string => lowerCaseKey(value).slice(0, CUSTOM_VALUE_KEY_LENGTH);
