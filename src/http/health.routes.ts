import { Router } from "express";
import type { Database } from "../platform/database";
import type { RedisConnection } from "../platform/redis";

/** /healthz: the process answers. /readyz: it can reach its database (and Redis, when REDIS_URL is set) and is not shutting down. */
export function healthRoutes(db: Database, state: { draining: boolean } = { draining: false }, redis: RedisConnection | null = null): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    if (state.draining) {
      res.status(503).json({ status: "draining", database: db.dialect });
      return;
    }
    try {
      await db.ping();
    } catch {
      res.status(503).json({ status: "unavailable", database: db.dialect });
      return;
    }
    try {
      await redis?.ping();
      res.json({ status: "ready", database: db.dialect, ...(redis ? { redis: "ready" } : {}) });
    } catch {
      res.status(503).json({ status: "unavailable", database: db.dialect, redis: "unavailable" });
    }
  });
  return router;
}
