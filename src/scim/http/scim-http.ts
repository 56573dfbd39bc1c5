import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import zlib from "node:zlib";
import type { Logger } from "../../platform/logger";
import { ScimError, invalidSyntax, payloadTooLarge, toScimErrorBody } from "../protocol";
import type { ScimResponse } from "../resources/scim-response";

/** What SCIM's HTTP adapter (node:http, no Express) knows of a request. */
export interface ScimHttpRequest {
  method: string;
  /** The request target as sent: `/scim/v2/Users?filter=…`. */
  url: string;
  /** Below the SCIM base, without the query: `/Users/abc` (not decoded). */
  path: string;
  headers: IncomingHttpHeaders;
  /** The client's address through TRUST_PROXY, as Express resolves `req.ip`. */
  ip: string;
  requestId: string;
  readonly log: Logger;
}

export const SCIM_JSON = "application/scim+json; charset=utf-8";

/** IdPs send application/scim+json or application/json, with or without charset: anything JSON-ish is read as JSON. */
export const isJsonType = (type: string | undefined): boolean => !!type && /json/i.test(type);

const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = { gzip: zlib.createGunzip, deflate: zlib.createInflate, br: zlib.createBrotliDecompress };

/**
 * The body of a JSON request, at most `limit` bytes once decoded: 413 beyond, 400 invalidSyntax when
 * it is not a JSON object or array, 415 for a charset other than UTF-8 or an unknown Content-Encoding.
 * An empty body is `{}`, as Express's JSON parser has it.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<{ body: unknown; bytes: number }> {
  const declared = Number(req.headers["content-length"]);
  const tooLarge = () => payloadTooLarge(`the request body is larger than ${limit} bytes (see ServiceProviderConfig)`);
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(req.headers["content-type"]))?.[1];
  if (charset && !/^utf-?8$/i.test(charset)) throw new ScimError(415, `unsupported charset ${JSON.stringify(charset)}: send UTF-8`);
  const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding === "identity" && declared > limit) {
    req.resume();
    throw tooLarge();
  }
  let stream: NodeJS.ReadableStream = req;
  if (encoding !== "identity") {
    const decoder = DECODERS[encoding];
    if (!decoder) {
      req.resume();
      throw new ScimError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)}`);
    }
    stream = req.pipe(decoder());
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        stream.removeAllListeners("data");
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    stream.on("end", resolve);
    stream.on("error", () => reject(invalidSyntax("the request body could not be read (bad Content-Encoding?)")));
    req.on("aborted", () => reject(invalidSyntax("the request was aborted before its body was complete")));
  });
  const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString("utf8");
  if (text.trim() === "") return { body: {}, bytes };
  // Only objects and arrays, as Express's strict JSON parser: a bare string or number is not a SCIM message.
  if (!/^[\s\uFEFF]*[{[]/.test(text)) throw invalidSyntax("the request body is not valid JSON");
  try {
    return { body: JSON.parse(text.replace(/^\uFEFF/, "")), bytes };
  } catch {
    throw invalidSyntax("the request body is not valid JSON");
  }
}

function write(res: ServerResponse, status: number, json: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", SCIM_JSON);
  res.setHeader("Content-Length", Buffer.byteLength(json));
  res.end(json);
}

/** A handler's answer: its headers, its status, its body as SCIM JSON (none for 204 and 304). */
export function sendScim(res: ServerResponse, r: ScimResponse): void {
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  if (r.body === undefined || r.status === 204 || r.status === 304) {
    res.statusCode = r.status;
    res.end();
    return;
  }
  write(res, r.status, JSON.stringify(r.body));
}

/** An error in the SCIM error schema (RFC 7644 §3.12). */
export function sendScimError(res: ServerResponse, err: ScimError): void {
  write(res, err.status, JSON.stringify(toScimErrorBody(err)));
}

/** A 500 that names the request id, never the error. */
export function sendInternalError(res: ServerResponse, requestId: string): void {
  write(res, 500, JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "500", detail: `Internal error (request id ${requestId})` }));
}
