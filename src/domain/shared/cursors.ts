/**
 * Cursors of keyset pages (GraphQL connections' `after`, `endCursor`, `cursor`): the sort key of a
 * row, encrypted and authenticated (AES-256-GCM) under a key of this deployment, bound to the
 * organisation, the list and the list's filter. A cursor tells nobody the key it holds (a user's
 * cursor held their lower-cased userName in base64), and one given by another list, filter or
 * organisation, altered, or in the format before this one, is refused (INVALID_INPUT naming `after`)
 * instead of being read as a position in this list.
 *
 * Layout, base64url: a format byte (1), the nonce (12 bytes), the encrypted key, the tag (16 bytes).
 * The nonce is derived from the binding and the key (HMAC-SHA-256, as in SIV): the same position of
 * the same list gives the same cursor, and two different keys sealed under one binding never share a
 * nonce, however many cursors the deployment gives (a random 96-bit nonce would after some 2^32).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync } from "node:crypto";
import type { RequestContext } from "../../platform/request-context";
import { invalidInput } from "./domain-error";

/** The lists that give cursors: a cursor of one is refused by another. */
export type CursorList = "users" | "groups" | "groupMembers" | "auditEvents" | "provisioningLog" | "directReports";

const FORMAT = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
/** A sort key is stored in a varchar(255): 255 characters of up to 4 bytes each. */
const MAX_KEY_BYTES = 255 * 4;
/** The longest cursor a list gives (1,399 characters); anything longer is refused before it is decoded. */
export const MAX_CURSOR_LENGTH = Math.ceil(((OVERHEAD + MAX_KEY_BYTES) * 4) / 3);

export const notACursor = () =>
  invalidInput("after", "after is not a cursor this list gave: a cursor holds only for the list, filter and organisation that gave it; start again from the first page, without after");

/** A field that filters nothing: null, undefined, or an input object of such fields (`actor: {}`). */
const filtersNothing = (value: unknown) => value === null || value === undefined || (isRecord(value) && Object.keys(value).length === 0);
const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date);

/**
 * The filter as a stable value: keys sorted, fields that filter nothing left out, dates as ISO text.
 * The same filter sent with its fields in another order binds the same cursors.
 */
function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])])
        .filter(([, v]) => !filtersNothing(v)),
    );
  }
  return value;
}

/** The keys of one deployment, derived from its shared secret (HKDF-SHA-256): one to encrypt, one for nonces. */
export class CursorKeys {
  private constructor(
    private readonly encryption: Buffer,
    private readonly nonces: Buffer,
  ) {}

  static fromSecret(secret: string): CursorKeys {
    const keys = Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), "roster cursors v1", 64));
    return new CursorKeys(keys.subarray(0, 32), keys.subarray(32));
  }

  /** The cursors of one list as one organisation pages it with one filter. */
  forList(organisationId: string, list: CursorList, filter: unknown): ListCursors {
    const binding = createHash("sha256").update(JSON.stringify([FORMAT, organisationId, list, canonical(filter ?? {})])).digest();
    return new ListCursors(this.encryption, this.nonces, binding);
  }
}

/** Seals sort keys into cursors, and opens them, for one list, filter and organisation. */
export class ListCursors {
  constructor(
    private readonly encryption: Buffer,
    private readonly nonces: Buffer,
    /** SHA-256 of the format, organisation, list and filter: the cipher's additional authenticated data. */
    private readonly binding: Buffer,
  ) {}

  seal(key: string): string {
    const plain = Buffer.from(key, "utf8");
    const nonce = createHmac("sha256", this.nonces).update(this.binding).update(plain).digest().subarray(0, NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.encryption, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.binding);
    return Buffer.concat([Buffer.of(FORMAT), nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString("base64url");
  }

  /** The key in a cursor this list gave, or INVALID_INPUT naming `after`. No cursor (null, "") is the first page. */
  open(cursor: string | null | undefined): string | undefined {
    if (!cursor) return undefined;
    if (cursor.length > MAX_CURSOR_LENGTH) throw notACursor();
    const bytes = Buffer.from(cursor, "base64url");
    // Node's decoder skips what is not base64: only the text seal wrote is read.
    if (bytes.length < OVERHEAD || bytes[0] !== FORMAT || bytes.toString("base64url") !== cursor) throw notACursor();
    const decipher = createDecipheriv("aes-256-gcm", this.encryption, bytes.subarray(1, 1 + NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(this.binding);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      // Another key, binding, or an altered byte: the tag does not match.
      throw notACursor();
    }
  }
}

/**
 * The deployment's cursor keys, from a secret every instance shares (read once, on first use or
 * `ready`): a cursor one instance gave pages on any other.
 */
export class Cursors {
  private keys: Promise<CursorKeys> | undefined;

  constructor(private readonly secret: () => Promise<string>) {}

  /** Reads the secret now (at start), so that no request waits for it or fails on it. */
  async ready(): Promise<void> {
    await this.load();
  }

  /** The cursors of `list` as the context's organisation pages it with `filter` (what decides its rows). */
  async forList(ctx: RequestContext, list: CursorList, filter: unknown): Promise<ListCursors> {
    return (await this.load()).forList(ctx.organisationId, list, filter);
  }

  private load(): Promise<CursorKeys> {
    this.keys ??= this.secret().then(CursorKeys.fromSecret, (err: unknown) => {
      this.keys = undefined;
      throw err;
    });
    return this.keys;
  }
}
