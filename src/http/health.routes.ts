import { Router } from "express";
import type { Database } from "../platform/database";

/** /healthz: the process answers. /readyz: it can reach its database and is not shutting down. */
export function healthRoutes(db: Database, state: { draining: boolean } = { draining: false }): Router {
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
      res.json({ status: "ready", database: db.dialect });
    } catch {
      res.status(503).json({ status: "unavailable", database: db.dialect });
    }
  });
  return router;
}
