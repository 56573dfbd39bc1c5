import type { ServerResponse } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { AppConfig } from "../config/config";
import type { RateLimitResult, RateLimiter } from "../domain/rate-limits/rate-limiter";

/** The client's address as Express sees it through TRUST_PROXY. */
export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? "unknown";

/** Retry-After and the IETF draft RateLimit-* headers on a refused request. */
export function setRateLimitHeaders(res: Pick<ServerResponse, "setHeader">, r: RateLimitResult): void {
  res.setHeader("Retry-After", String(r.retryAfterSeconds));
  res.setHeader("RateLimit-Limit", String(r.limit));
  res.setHeader("RateLimit-Remaining", String(r.remaining));
  res.setHeader("RateLimit-Reset", String(r.retryAfterSeconds));
}

/**
 * The IPs this process saw fail authentication, per limiter, until their window ends. Only those
 * can be locked out before their token is checked (GraphQL's `authLockout`), so the shared counter
 * is read for them alone instead of on every request. A refused token itself is decided by one hit
 * of the counter (`tokenRefused`), on every instance alike.
 */
const failedRecently = new WeakMap<RateLimiter, Map<string, number>>();
const MAX_REMEMBERED_IPS = 100_000;
/** The shared counter of an IP's failed authentications (SCIM and GraphQL bearer tokens). */
const authFailureKey = (ip: string) => `auth-failure:ip:${ip}`;

/**
 * The request limits of the APIs (SCIM, GraphQL, /auth), over the shared database counters of
 * `RateLimiter`, so every instance counts against the same numbers. A limit of 0 is no limit.
 */
export class RequestLimits {
  constructor(
    private readonly limiter: RateLimiter,
    readonly config: AppConfig["rateLimits"],
  ) {}

  /** Counts one request against `key`; null when the limit is off. */
  async hit(key: string, limit: number): Promise<RateLimitResult | null> {
    if (limit <= 0) return null;
    return this.limiter.hit(key, { limit, windowSeconds: this.config.windowSeconds });
  }

  /** Refused when this IP already failed authentication AUTH_FAILURE_LIMIT_PER_IP times in the window. */
  async authLockout(ip: string): Promise<RateLimitResult | null> {
    const limit = this.config.authFailuresPerIp;
    if (limit <= 0) return null;
    const failures = failedRecently.get(this.limiter);
    const until = failures?.get(ip);
    if (until === undefined) return null;
    if (until <= Date.now()) {
      failures!.delete(ip);
      return null;
    }
    const r = await this.limiter.peek(authFailureKey(ip), { limit, windowSeconds: this.config.windowSeconds });
    return r.allowed ? null : r;
  }

  /**
   * A refused token from this IP: the lockout once the IP has failed AUTH_FAILURE_LIMIT_PER_IP times
   * in the window (then nothing is counted, and the caller answers 429 without recording the
   * refusal), else null once the failure is counted. One hit decides both, so concurrent refusals
   * from one IP are never answered as failures past the limit (a check and then a count let 20
   * refusals at once through as 20 failures against a limit of 5).
   * Only refusals consult the lockout: a good token passes from a locked-out IP, because identity
   * providers (Okta, Entra) call from egress addresses shared by all their customers.
   */
  async tokenRefused(ip: string): Promise<RateLimitResult | null> {
    const limit = this.config.authFailuresPerIp;
    if (limit <= 0) return null;
    let failures = failedRecently.get(this.limiter);
    if (!failures) failedRecently.set(this.limiter, (failures = new Map()));
    if (failures.size >= MAX_REMEMBERED_IPS) failures.clear();
    failures.set(ip, Date.now() + this.config.windowSeconds * 1000);
    const r = await this.hit(authFailureKey(ip), limit);
    return r && !r.allowed ? r : null;
  }

  /** Express middleware: `limit` requests per window per client IP under `name`; `refuse` answers a 429. */
  perIp(name: string, limit: number, refuse: (req: Request, res: Response, r: RateLimitResult) => void): RequestHandler {
    // A limit turned off costs no await on every request.
    if (limit <= 0) return (_req: Request, _res: Response, next: NextFunction) => next();
    return async (req: Request, res: Response, next: NextFunction) => {
      const r = await this.hit(`${name}:ip:${clientIp(req)}`, limit);
      if (r && !r.allowed) {
        setRateLimitHeaders(res, r);
        refuse(req, res, r);
        return;
      }
      next();
    };
  }
}

/** A plain JSON 429 (GraphQL and /auth). */
export function jsonTooManyRequests(req: Request, res: Response, r: RateLimitResult): void {
  req.log?.warn({ limit: r.limit, ip: clientIp(req), path: req.path }, "rate limit reached");
  res.status(429).json({ error: "too_many_requests", message: `too many requests; retry in ${r.retryAfterSeconds} s`, retryAfterSeconds: r.retryAfterSeconds });
}
