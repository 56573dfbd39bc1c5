import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Group } from "./group.entity";


export type MemberType = "user" | "group";

/**
 * One member of one group. Keyed for both directions: (group → members) by the primary key,
 * (member → groups) by the second index, so adding one member never loads the others.
 */
@Entity("group_memberships")
@Index("IDX_group_memberships_member", ["memberId", "groupId"])
export class GroupMembership {
  @PrimaryColumn({ type: "varchar", length: 36 })
  groupId: string;

  @PrimaryColumn({ type: "varchar", length: 36 })
  memberId: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @Column({ type: "varchar", length: 8 })
  memberType: MemberType;

  @ManyToOne(() => Group, { onDelete: "CASCADE" })
  @JoinColumn({ name: "groupId" })
  group?: Group;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;
}
