import crypto from "node:crypto";

/**
 * Random bytes for ids, cut from a pool refilled 4 KiB at a time: a `randomBytes` call per id (a
 * request id, a log entry's and an audit event's id on every SCIM request) showed at 0.07 ms per
 * request in a profile. Secrets (tokens, keys) take `crypto.randomBytes` directly, never this.
 */
const pool = Buffer.alloc(4096);
let used = pool.length;
function randomForIds(n: number): Buffer {
  if (used + n > pool.length) {
    crypto.randomFillSync(pool);
    used = 0;
  }
  const bytes = Buffer.from(pool.subarray(used, used + n));
  used += n;
  return bytes;
}

export const newRequestId = (): string => randomForIds(9).toString("base64url");

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that orders ids made in
 * the same millisecond by this process, then random bits. Logs ordered by (time, id) keep the order
 * in which their entries were written.
 */
export function newTimeOrderedId(now = Date.now()): string {
  if (now <= lastMs) {
    sequence++;
    if (sequence > 0xfff) {
      lastMs++;
      sequence = 0;
    }
  } else {
    lastMs = now;
    sequence = 0;
  }
  const bytes = randomForIds(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of every new row (users, groups, contacts, roles, tokens…): a UUIDv7. InnoDB stores a table
 * in primary-key order, so random (v4) ids put each new row, and each update, on a random page of a
 * large table; time-ordered ids append. Measured on a 100k-user directory: a SCIM create cost MariaDB
 * 0.81 ms with v4 ids and 0.63-0.69 ms with these. Rows created before keep their v4 ids (an id is
 * opaque: only its uniqueness matters). Not for secrets: 62 random bits, and the time is readable.
 */
export const newId = (): string => newTimeOrderedId();
