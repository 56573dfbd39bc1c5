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

/** Gives every request an id (the caller's X-Request-Id when it is sane) and a logger that carries it. */
export function requestContextMiddleware(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get("x-request-id");
    req.requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
    // The child logger is made when something logs: most requests at LOG_LEVEL=warn never do.
    let child: Logger | undefined;
    Object.defineProperty(req, "log", { configurable: true, enumerable: false, get: () => (child ??= logger.child({ requestId: req.requestId })) });
    res.setHeader("X-Request-Id", req.requestId);
    if (logger.isLevelEnabled("info")) {
      const started = process.hrtime.bigint();
      res.on("finish", () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        req.log.info({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, "request");
      });
    }
    next();
  };
}
