import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Organisation } from "../organisations/organisation.entity";

@Entity("roles")
@Index("UQ_roles_organisation_nameKey", ["organisationId", "nameKey"], { unique: true })
export class Role {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @ManyToOne(() => Organisation, { onDelete: "CASCADE" })
  @JoinColumn({ name: "organisationId" })
  organisation?: Organisation;

  @Column({ type: "varchar", length: 128 })
  name: string;

  @Column({ type: "varchar", length: 128 })
  nameKey: string;

  @Column({ type: "varchar", length: 1024, nullable: true })
  description: string | null;

  @Column({ type: "json" })
  permissions: string[];

  /** `admin` and `member` exist in every organisation and cannot be renamed or deleted. */
  @Column({ type: "boolean", default: false })
  builtIn: boolean;

  /** Bumped by every write that changes what a client sees of it: the GraphQL optimistic-concurrency token (expectedVersion). */
  @Column({ type: "int", default: 1 })
  version: number;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt: Date;
}
