import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Organisation } from "../organisations/organisation.entity";
import type { OwnRow } from "./own-details";


export interface PostalAddress {
  formatted?: string | null;
  streetAddress?: string | null;
  locality?: string | null;
  region?: string | null;
  postalCode?: string | null;
  country?: string | null;
  type?: string | null;
  primary?: boolean;
}

@Entity("users")
@Index("UQ_users_organisation_userNameKey", ["organisationId", "userNameKey"], { unique: true })
@Index("UQ_users_organisation_externalIdKey", ["organisationId", "externalIdKey"], { unique: true })
@Index("IDX_users_organisation_updatedAt", ["organisationId", "updatedAt"])
@Index("IDX_users_organisation_manager", ["organisationId", "managerId", "userNameKey"])
@Index("IDX_users_organisation_departmentKey", ["organisationId", "departmentKey", "userNameKey"])
@Index("IDX_users_organisation_costCenterKey", ["organisationId", "costCenterKey", "userNameKey"])
export class User {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id: string;

  @Column({ type: "varchar", length: 36 })
  organisationId: string;

  @ManyToOne(() => Organisation, { onDelete: "CASCADE" })
  @JoinColumn({ name: "organisationId" })
  organisation?: Organisation;

  @Column({ type: "varchar", length: 255 })
  userName: string;

  /** caseInsensitiveKey(userName): the unique key, compared byte for byte on SQLite and MariaDB (utf8mb4_bin there). */
  @Column({ type: "varchar", length: 255 })
  userNameKey: string;

  @Column({ type: "varchar", length: 255, nullable: true })
  externalId: string | null;

  /** Lower-cased externalId: unique per organisation when set (Entra object ids are case-insensitive GUIDs). */
  @Column({ type: "varchar", length: 255, nullable: true })
  externalIdKey: string | null;

  @Column({ type: "boolean", default: true })
  active: boolean;

  @Column({ type: "varchar", length: 255, nullable: true })
  displayName: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  nickName: string | null;

  @Column({ type: "varchar", length: 512, nullable: true })
  nameFormatted: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  givenName: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  familyName: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  middleName: string | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  honorificPrefix: string | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  honorificSuffix: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  title: string | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  userType: string | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  preferredLanguage: string | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  locale: string | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  timezone: string | null;

  @Column({ type: "varchar", length: 1024, nullable: true })
  profileUrl: string | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  employeeNumber: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  costCenter: string | null;

  /** attributeKey(costCenter): what an equality filter reads by its index (utf8mb4_bin on MariaDB). */
  @Column({ type: "varchar", length: 255, nullable: true })
  costCenterKey: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  organization: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  division: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  department: string | null;

  /** attributeKey(department): what an equality filter reads by its index (utf8mb4_bin on MariaDB). */
  @Column({ type: "varchar", length: 255, nullable: true })
  departmentKey: string | null;

  /** Another user of the same organisation (checked by the service). */
  @Column({ type: "varchar", length: 36, nullable: true })
  managerId: string | null;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  @JoinColumn({ name: "managerId" })
  manager?: User;

  /** Addresses are read and written whole with the user; they are not a filter target. */
  @Column({ type: "json", nullable: true })
  addresses: PostalAddress[] | null;

  /**
   * A copy of the user's contacts, role ids and custom values, read with the row instead of from
   * their tables (see own-details.ts); NULL: read the tables.
   */
  @Column({ type: "json", nullable: true })
  ownDetails: OwnRow[] | null;

  /** Bumped on every write: the SCIM ETag and the GraphQL optimistic-concurrency token. */
  @Column({ type: "int", default: 1 })
  version: number;

  @Column({ type: "datetime", precision: 3 })
  createdAt: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt: Date;
}
