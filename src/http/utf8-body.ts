import { isUtf8 } from "node:buffer";

/** The type of the error a body-parser `verify` hook throws for a body that is not UTF-8 (see `assertUtf8Body`). */
export const NOT_UTF8 = "entity.not.utf8";

/**
 * Throws (status 400, type NOT_UTF8) when a body read as UTF-8 is not valid UTF-8. body-parser decodes
 * such bytes to U+FFFD, and the damaged strings were stored as if sent. `buf` is the body after its
 * Content-Encoding (gzip) is undone; a body in another UTF (`charset=utf-16le`) is left to its decoder.
 */
export function assertUtf8Body(buf: Buffer, charset: string): void {
  if (/^utf-?8$/i.test(charset) && !isUtf8(buf)) throw Object.assign(new Error("the request body is not valid UTF-8"), { status: 400, type: NOT_UTF8 });
}
