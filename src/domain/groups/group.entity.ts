import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Organisation } from "../organisations/organisation.entity";

@Entity("groups")
@Index("UQ_groups_organisation_displayNameKey", ["organisationId", "displayNameKey"], { unique: true })
@Index("IDX_groups_organisation_externalId", ["organisationId", "externalId"])
@Index("IDX_groups_organisation_updatedAt", ["organisationId", "updatedAt"])
export class Group {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @ManyToOne(() => Organisation, { onDelete: "CASCADE" })
  @JoinColumn({ name: "organisationId" })
  organisation?: Organisation;

  @Column({ type: "varchar", length: 255 })
  displayName: string;

  @Column({ type: "varchar", length: 255 })
  displayNameKey: string;

  @Column({ type: "varchar", length: 255, nullable: true })
  externalId: string | null;

  @Column({ type: "int", default: 1 })
  version: number;

  /**
   * How many members the group has (rows of group_memberships): kept by every write of its members,
   * in the same transaction, moved in SQL by the rows each statement actually inserted or deleted
   * (see GroupService). GraphQL's memberCount and members' totalCount read it instead of a COUNT.
   */
  @Column({ type: "int", default: 0 })
  memberCount: number;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt: Date;
}
