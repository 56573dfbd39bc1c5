import http from "node:http";
import type net from "node:net";

/** Why the server could not listen, in one line naming the variable to change. */
export function listenFailure(err: NodeJS.ErrnoException, port: number, host: string): string {
  switch (err.code) {
    case "EADDRINUSE":
      return `port ${port} on ${host} is already in use by another process (PORT, HOST)`;
    case "EACCES":
      return `not allowed to listen on port ${port} on ${host} (PORT: ports below 1024 need privileges)`;
    case "EADDRNOTAVAIL":
      return `${host} is not an address of this machine (HOST)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `HOST ${host} does not resolve to an address`;
    default:
      return `could not listen on ${host}:${port} (PORT, HOST): ${err.message}`;
  }
}

/**
 * Listens on port and host; resolves with the port bound (PORT=0 picks one). A failure (the port in
 * use, HOST not an address here) rejects with one line naming PORT or HOST, instead of the 'error'
 * event nobody listened to, which printed a stack trace.
 */
export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(new Error(listenFailure(err, port, host)));
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/**
 * The HTTP server with its timeouts set, not Node's defaults (headers within 60 s, the whole request
 * within 300 s, checked every 30 s: a client sending its body a byte at a time held its connection
 * 5 min 23 s). A request not received within requestTimeoutMs gets 408 and its connection is closed,
 * checked every second. Idle keep-alive connections close after 65 s, longer than common load
 * balancers' idle timeout (so the balancer, not Roster, closes them).
 */
export function createHttpServer(handler: http.RequestListener | undefined, requestTimeoutMs: number): http.Server {
  const server = http.createServer({ connectionsCheckingInterval: Math.min(1000, requestTimeoutMs) }, handler);
  return setServerTimeouts(server, requestTimeoutMs);
}

/** The timeouts of `createHttpServer`, on a server made before the configuration was read (the tests'). */
export function setServerTimeouts(server: http.Server, requestTimeoutMs: number): http.Server {
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = requestTimeoutMs;
  server.keepAliveTimeout = 65_000;
  return server;
}
