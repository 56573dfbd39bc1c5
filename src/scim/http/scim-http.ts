import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import express, { type Request, type Response } from "express";
import type { Logger } from "../../platform/logger";
import { type TextPath, unstorableTextPath } from "../../domain/shared/storable-text";
import { ScimError, invalidSyntax, invalidValue, payloadTooLarge, toScimErrorBody } from "../protocol";
import { type ScimResponse, StreamedBody } from "../resources/scim-response";
import { MAX_BODY_DEPTH, nestingDeeperThan } from "../../http/json-depth";
import { NOT_UTF8, assertUtf8Body } from "../../platform/utf8-body";

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

/**
 * Reads a JSON request body with Express's own parser (body-parser), called on the plain request: the
 * same limit, charsets, Content-Encodings (gzip, deflate, br) and strictness (objects and arrays only;
 * an empty body is `{}`) as before SCIM left Express. Its errors become SCIM errors: 413 over the
 * limit, 400 invalidSyntax for bad JSON or a body that does not decode (gzip that is not gzip), 415
 * for an unsupported charset or encoding. A string that cannot be stored as sent (a lone surrogate or
 * NUL, which only a `\u` escape can carry) is 400 invalidValue naming where it is: on MariaDB it
 * failed the audit row's JSON check as a 500. Bytes that are not UTF-8 are 400 invalidSyntax before
 * the JSON is decoded (body-parser stored them as U+FFFD).
 */
export function jsonBodyReader(limit: number): (req: IncomingMessage, res: ServerResponse) => Promise<{ body: unknown; bytes: number }> {
  // The body's size before parsing, per request (/Bulk checks it against maxPayloadSize).
  const sizes = new WeakMap<IncomingMessage, number>();
  // Bodies with an escape that may decode to unstorable text; only these are walked.
  const escaped = new WeakSet<IncomingMessage>();
  // Bodies nested deeper than MAX_BODY_DEPTH (refused once parsed, so that bad JSON stays invalidSyntax).
  const deep = new WeakSet<IncomingMessage>();
  const parse = express.json({
    limit,
    type: () => true,
    verify: (req, _res, buf, charset) => {
      sizes.set(req, buf.length);
      assertUtf8Body(buf, charset);
      if (buf.includes("\\u") && UNSTORABLE_ESCAPE.test(buf.toString())) escaped.add(req);
      if (nestingDeeperThan(buf, MAX_BODY_DEPTH)) deep.add(req);
    },
  });
  return (req, res) =>
    new Promise((resolve, reject) => {
      parse(req as Request, res as Response, (err?: unknown) => {
        if (!err) {
          const body: unknown = (req as Request).body;
          if (deep.has(req)) return reject(invalidSyntax(`the request body is nested more than ${MAX_BODY_DEPTH} levels deep`));
          const unstorable = escaped.has(req) ? unstorableTextPath(body) : null;
          if (unstorable !== null) return reject(invalidValue(`${JSON.stringify(attributePath(unstorable))} holds a lone UTF-16 surrogate or U+0000, which is not text Roster can store`));
          return resolve({ body, bytes: sizes.get(req) ?? 0 });
        }
        const e = err as { type?: string; status?: number; message?: string };
        if (e.type === "entity.parse.failed") reject(invalidSyntax("the request body is not valid JSON"));
        else if (e.type === NOT_UTF8) reject(invalidSyntax("the request body is not valid UTF-8"));
        else if (e.type === "entity.too.large") reject(payloadTooLarge(`the request body is larger than ${limit} bytes (see ServiceProviderConfig)`));
        // body-parser gives a Content-Encoding that does not decode (gzip that is not gzip) a 400 and no type.
        else if (e.status === 400) reject(invalidSyntax(e.type === undefined ? `the request body does not decode as its Content-Encoding (${String(req.headers["content-encoding"])}) says` : "the request body could not be read"));
        else if (e.status && e.status > 400 && e.status < 500) reject(new ScimError(e.status, e.message ?? "the request body could not be read"));
        else reject(err);
      });
    });
}

/** `emails[1].value`, as SCIM writes attribute paths; the body itself is `(the body)`. */
const attributePath = (path: TextPath): string => path.map((p, i) => (typeof p === "number" ? `[${p}]` : i ? `.${p}` : p)).join("") || "(the body)";

/** A JSON escape of a surrogate (U+D800–U+DFFF) or of U+0000. */
const UNSTORABLE_ESCAPE = /\\u(?:[dD][89a-fA-F]|0000)/;

function write(res: ServerResponse, status: number, json: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", SCIM_JSON);
  res.setHeader("Content-Length", Buffer.byteLength(json));
  res.end(json);
}

/**
 * A handler's answer: its headers, its status, its body as SCIM JSON (none for 204 and 304). A
 * StreamedBody goes out chunk by chunk (chunked transfer encoding), each written once the client has
 * taken the one before; if the client goes away, the rest is never produced.
 */
export async function sendScim(res: ServerResponse, r: ScimResponse): Promise<void> {
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  if (r.body === undefined || r.status === 204 || r.status === 304) {
    res.statusCode = r.status;
    res.end();
    return;
  }
  if (!(r.body instanceof StreamedBody)) return write(res, r.status, JSON.stringify(r.body));
  res.statusCode = r.status;
  res.setHeader("Content-Type", SCIM_JSON);
  for await (const chunk of r.body.chunks()) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await drainedOrClosed(res);
  }
  if (!res.destroyed) res.end();
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** An error in the SCIM error schema (RFC 7644 §3.12). */
export function sendScimError(res: ServerResponse, err: ScimError): void {
  write(res, err.status, JSON.stringify(toScimErrorBody(err)));
}

/** A 500 that names the request id, never the error. */
export function sendInternalError(res: ServerResponse, requestId: string): void {
  sendScimError(res, new ScimError(500, `Internal error (request id ${requestId})`));
}
