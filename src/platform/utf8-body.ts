import { isUtf8 } from "node:buffer";

/** The type of the error a body-parser `verify` hook throws for a body that is not UTF-8 (see `assertUtf8Body`). */
export const NOT_UTF8 = "entity.not.utf8";

const readAsUtf8 = (charset: string): boolean => /^utf-?8$/i.test(charset);
const notUtf8 = (): Error => Object.assign(new Error("the request body is not valid UTF-8"), { status: 400, type: NOT_UTF8 });

/**
 * Throws (status 400, type NOT_UTF8) when a body read as UTF-8 is not valid UTF-8. body-parser decodes
 * such bytes to U+FFFD, and the damaged strings were stored as if sent. `buf` is the body after its
 * Content-Encoding (gzip) is undone; a body in another UTF (`charset=utf-16le`) is left to its decoder.
 */
export function assertUtf8Body(buf: Buffer, charset: string): void {
  if (readAsUtf8(charset) && !isUtf8(buf)) throw notUtf8();
}

/**
 * As `assertUtf8Body`, for an application/x-www-form-urlencoded body: its bytes, and the bytes its
 * %XX escapes stand for, must be UTF-8. A form is ASCII on the wire, so bytes that are not UTF-8 come
 * as escapes (`%FF`), and the form parser (qs) left a value holding one undecoded: `caf%C3%A9%FF` was
 * read as those twelve characters. A body sent as `charset=iso-8859-1` is decoded as Latin-1 and left be.
 */
export function assertUtf8Form(buf: Buffer, charset: string): void {
  if (readAsUtf8(charset) && !isUtf8Form(buf)) throw notUtf8();
}

/** Whether form-urlencoded bytes are UTF-8, and so are the bytes their %XX escapes stand for (see `assertUtf8Form`). */
export function isUtf8Form(buf: Buffer): boolean {
  return isUtf8(buf) && (!buf.includes(0x25) || isUtf8(unescapedBytes(buf)));
}

const isHexDigit = (b: number | undefined): boolean => b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));

/**
 * The body with each %XX escape replaced by its byte (a `%` without two hex digits stays, as the parser
 * keeps it). Decoding the whole body at once checks each key and value: `&` and `=` are ASCII, and no
 * UTF-8 sequence can run across one.
 */
function unescapedBytes(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  let length = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x25 && isHexDigit(buf[i + 1]) && isHexDigit(buf[i + 2])) {
      out[length++] = Number.parseInt(buf.toString("latin1", i + 1, i + 3), 16);
      i += 2;
    } else out[length++] = buf[i];
  }
  return out.subarray(0, length);
}
