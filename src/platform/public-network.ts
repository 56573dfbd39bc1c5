import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";

/**
 * Outbound requests to addresses an organisation admin configures (a federated credential's JWKS):
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
// ::/96 holds :: and ::1 and the deprecated IPv4-compatible form; 6to4 and Teredo embed IPv4 addresses.
for (const [address, prefix] of [
  ["::", 96], ["64:ff9b:1::", 48], ["100::", 64], ["2001::", 32], ["2001:db8::", 32], ["2002::", 16],
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

/** The fetch-like function jose's createRemoteJWKSet takes (its `customFetch`). */
export type GetFetch = (url: string, init: { headers: Headers; method: string; signal: AbortSignal }) => Promise<Response>;

export interface PublicFetchOptions {
  /** Tests and local development only: private and loopback hosts are allowed. */
  allowPrivate: boolean;
  /** The largest body read; a longer answer fails. */
  maxBytes: number;
  resolve?: ResolveAll;
}

/**
 * GET over http(s) that connects only to public addresses: the host's addresses are resolved and
 * checked in the connection's own lookup, so the address checked is the address connected to (DNS
 * can change between a check and a connection). Redirects are not followed. Fails like fetch: a
 * TypeError for anything on the way, a NonPublicAddressError for a refused host.
 */
export function publicFetch(options: PublicFetchOptions): GetFetch {
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
  return (url, init) =>
    new Promise<Response>((resolveResponse, reject) => {
      const fail = (err: unknown) => reject(err instanceof NonPublicAddressError ? err : new TypeError("fetch failed", { cause: err }));
      const target = new URL(url);
      const refusal = options.allowPrivate ? null : nonPublicHost(target);
      if (refusal) return fail(new NonPublicAddressError(refusal));
      const client = target.protocol === "https:" ? https : target.protocol === "http:" ? http : null;
      if (!client) return fail(new Error(`${target.protocol} is not http(s)`));
      const headers: Record<string, string> = {};
      init.headers.forEach((value, name) => (headers[name] = value));
      const req = client.request(target, { method: init.method, headers, signal: init.signal, lookup }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          return resolveResponse(new Response(null, { status: status >= 200 && status <= 599 && status !== 204 && status !== 205 && status !== 304 ? status : 502 }));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          chunks.push(chunk);
          if (size <= options.maxBytes) return;
          res.destroy();
          fail(new Error(`the answer is larger than ${options.maxBytes} bytes`));
        });
        // After a failure the promise is settled: this resolve does nothing.
        res.on("end", () => resolveResponse(new Response(Buffer.concat(chunks), { status, headers: { "content-type": String(res.headers["content-type"] ?? "") } })));
        res.on("error", fail);
      });
      req.on("error", fail);
      req.end();
    });
}
