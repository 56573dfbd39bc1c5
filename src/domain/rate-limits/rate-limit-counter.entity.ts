import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** Requests counted per key (a token, an IP, an OAuth client) per fixed window, shared by all instances. */
@Entity("rate_limit_counters")
@Index("IDX_rate_limit_counters_expiresAt", ["expiresAt"])
export class RateLimitCounter {
  /** e.g. `scim-token:<id>:<window start>`. */
  @PrimaryColumn({ type: "varchar", length: 255 })
  key: string;

  @Column({ type: "int" })
  count: number;

  @Column({ type: "datetime", precision: 3 })
  expiresAt: Date;
}
