import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { User } from "../users/user.entity";
import { Role } from "./role.entity";


@Entity("role_assignments")
@Index("IDX_role_assignments_role", ["roleId", "userId"])
export class RoleAssignment {
  @PrimaryColumn({ type: "varchar", length: 36 })
  userId: string;

  @PrimaryColumn({ type: "varchar", length: 36 })
  roleId: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  @JoinColumn({ name: "userId" })
  user?: User;

  @ManyToOne(() => Role, { onDelete: "CASCADE" })
  @JoinColumn({ name: "roleId" })
  role?: Role;
}
