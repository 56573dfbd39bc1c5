import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";

/**
 * Outbound requests to addresses an organisation admin configures (a federated credential's JWKS,
 * an OpenID Connect issuer and the endpoints its discovery document names):
 * only to the public internet, so that such a setting cannot reach the instance's own network
 * (loopback, cloud metadata at 169.254.169.254, private ranges): a blind SSRF otherwise.
 */

/** Loopback, private, link-local, shared, documentation, multicast and reserved ranges (RFC 6890 and its updates). */
const NOT_PUBLIC_V4 = [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.88.99.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15],
  ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const;
const NOT_PUBLIC = new net.BlockList();
for (const [address, prefix] of NOT_PUBLIC_V4) {
  NOT_PUBLIC.addSubnet(address, prefix, "ipv4");
  // The same ranges through NAT64 (RFC 6052, 64:ff9b::a.b.c.d); IPv4-mapped (::ffff:a.b.c.d) BlockList checks itself.
  NOT_PUBLIC.addSubnet(`64:ff9b::${address}`, 96 + prefix, "ipv6");
}
// ::/96 holds :: and ::1 and the deprecated IPv4-compatible form; ::ffff:0:0/96 is SIIT's IPv4-translated
// form (RFC 2765), which a translating network carries to the IPv4 address; 6to4 and Teredo embed IPv4 addresses.
for (const [address, prefix] of [
  ["::", 96], ["::ffff:0:0:0", 96], ["64:ff9b:1::", 48], ["100::", 64], ["2001::", 32], ["2001:db8::", 32], ["2002::", 16],
  ["fc00::", 7], ["fe80::", 10], ["fec0::", 10], ["ff00::", 8],
] as const) NOT_PUBLIC.addSubnet(address, prefix, "ipv6");

/** Whether an IP address is on the public internet. Anything that is not an IP address is not. */
export function isPublicAddress(ip: string): boolean {
  const family = net.isIP(ip);
  return family !== 0 && !NOT_PUBLIC.check(ip, family === 4 ? "ipv4" : "ipv6");
}

/**
 * Why a URL's host is not public as written (an IP literal in a private range, localhost), or null.
 * A name may still resolve to a private address: `resolvePublicly` and `publicFetch` check that.
 */
export function nonPublicHost(url: URL): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  if (net.isIP(host)) return isPublicAddress(host) ? null : `${host} is not a public address`;
  if (host === "localhost" || host.endsWith(".localhost")) return `${host} is the local host`;
  return null;
}

/** Why a URL's host is not public, as written or as it resolves now; null when it is (or does not resolve). */
export async function nonPublicTarget(url: URL): Promise<string | null> {
  return nonPublicHost(url) ?? (await nonPublicResolution(url.hostname));
}

export type ResolveAll = (hostname: string) => Promise<{ address: string; family: number }[]>;
const resolveAll: ResolveAll = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** A request refused because its host is, or resolves to, an address that is not public. */
export class NonPublicAddressError extends Error {}

/**
 * Where a name resolves, when it resolves to an address that is not public; null when every address
 * is public, or when it does not resolve within `timeoutMs` (the request itself is checked again).
 */
export async function nonPublicResolution(hostname: string, timeoutMs = 2000, resolve: ResolveAll = resolveAll): Promise<string | null> {
  if (net.isIP(hostname.replace(/^\[|\]$/g, ""))) return null;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)));
  try {
    const addresses = await Promise.race([resolve(hostname).catch(() => null), timeout]);
    const bad = addresses?.find((a) => !isPublicAddress(a.address));
    return bad ? `${hostname} resolves to ${bad.address}, which is not a public address` : null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The fetch-like function jose's createRemoteJWKSet and openid-client take (their `customFetch`):
 * a GET with headers, or openid-client's token endpoint POST with a form body and client authentication.
 */
export type PublicFetch = (url: string, init: PublicFetchInit) => Promise<Response>;
export interface PublicFetchInit {
  method: string;
  headers: Headers | Record<string, string>;
  body?: RequestInit["body"];
  duplex?: "half";
  /** Redirects are never followed, whatever this says ("manual" is what both callers ask for). */
  redirect?: RequestInit["redirect"];
  signal?: AbortSignal;
}

export interface PublicFetchOptions {
  /** Tests and local development only: private and loopback hosts are allowed. */
  allowPrivate: boolean;
  /** The largest body read, whatever the status; a longer answer fails. */
  maxBytes: number;
  resolve?: ResolveAll;
}

/** Statuses whose Response must have no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/**
 * fetch over http(s) that connects only to public addresses: the host's addresses are resolved and
 * checked in the connection's own lookup, so the address checked is the address connected to (DNS
 * can change between a check and a connection). Redirects are not followed: a 3xx is the answer.
 * No connection is reused: each request is checked again, and never rides on a socket that another
 * policy (allowPrivate) opened. The answer carries its status, every header (content-type,
 * WWW-Authenticate, DPoP-Nonce, …) and its body, read up to maxBytes. Fails like fetch: a TypeError
 * for anything on the way, a NonPublicAddressError for a refused host.
 */
export function publicFetch(options: PublicFetchOptions): PublicFetch {
  const resolve = options.resolve ?? resolveAll;
  const lookup: net.LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname).then((addresses) => {
      const bad = options.allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (bad) return callback(new NonPublicAddressError(`${hostname} resolves to ${bad.address}, which is not a public address`), "", 4);
      const usable = addresses.filter((a) => !lookupOptions.family || a.family === lookupOptions.family);
      if (!usable.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 4);
      if (lookupOptions.all) return (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, usable);
      callback(null, usable[0].address, usable[0].family);
    }, (err: NodeJS.ErrnoException) => callback(err, "", 4));
  };
  return async (url, init) => {
    // As fetch: an aborted request rejects with the signal's reason (a TimeoutError callers recognise).
    const fail = (err: unknown) => (init.signal?.aborted ? init.signal.reason : err instanceof NonPublicAddressError ? err : new TypeError("fetch failed", { cause: err }));
    const target = new URL(url);
    const refusal = options.allowPrivate ? null : nonPublicHost(target);
    if (refusal) throw new NonPublicAddressError(refusal);
    const client = target.protocol === "https:" ? https : target.protocol === "http:" ? http : null;
    if (!client) throw fail(new Error(`${target.protocol} is not http(s)`));
    // The body and its content-type as fetch would send them (a URLSearchParams form, a string, bytes).
    const request = new Request(target, { method: init.method, headers: init.headers, body: init.body, duplex: init.duplex });
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : null;
    const headers: Record<string, string> = Object.fromEntries(request.headers);
    if (body) headers["content-length"] = String(body.length);
    return new Promise<Response>((resolveResponse, reject) => {
      const req = client.request(target, { method: request.method, headers, signal: init.signal, lookup, agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          chunks.push(chunk);
          if (size <= options.maxBytes) return;
          res.destroy();
          reject(fail(new Error(`the answer is larger than ${options.maxBytes} bytes`)));
        });
        // After a failure the promise is settled: this resolve does nothing.
        res.on("end", () => {
          try {
            const answer = new Headers();
            for (let i = 0; i < res.rawHeaders.length; i += 2) answer.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
            if (status < 200 || status > 599) return resolveResponse(new Response(null, { status: 502 }));
            resolveResponse(new Response(NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: answer }));
          } catch (err) {
            reject(fail(err));
          }
        });
        res.on("error", (err) => reject(fail(err)));
      });
      req.on("error", (err) => reject(fail(err)));
      req.end(body ?? undefined);
    });
  };
}
