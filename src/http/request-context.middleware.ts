import type { IncomingMessage, ServerResponse } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { newRequestId } from "../platform/ids";
import type { Logger } from "../platform/logger";

declare module "express-serve-static-core" {
  interface Request {
    requestId: string;
    log: Logger;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface RequestContext {
  requestId: string;
  /** A child logger carrying the request id, made when something logs (most requests at LOG_LEVEL=warn never do). */
  readonly log: Logger;
}

/**
 * Gives a request its id (the caller's X-Request-Id when it is sane), answers it in X-Request-Id and
 * logs the request at level info. Plain node:http, so that the SCIM adapter (no Express) shares it.
 */
export function beginRequest(logger: Logger, req: IncomingMessage, res: ServerResponse): RequestContext {
  const incoming = req.headers["x-request-id"];
  const requestId = typeof incoming === "string" && SAFE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
  let child: Logger | undefined;
  const context: RequestContext = {
    requestId,
    get log() {
      return (child ??= logger.child({ requestId }));
    },
  };
  res.setHeader("X-Request-Id", requestId);
  if (logger.isLevelEnabled("info")) {
    const started = process.hrtime.bigint();
    // Read now: Express rewrites req.url under a mounted router (every /graphql request was logged as "/").
    const path = (req.url ?? "").split("?")[0];
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      context.log.info({ method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, "request");
    });
  }
  return context;
}

/** Express middleware over `beginRequest`: `req.requestId` and `req.log`. */
export function requestContextMiddleware(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const context = beginRequest(logger, req, res);
    req.requestId = context.requestId;
    Object.defineProperty(req, "log", { configurable: true, enumerable: false, get: () => context.log });
    next();
  };
}
