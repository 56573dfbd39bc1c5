import fs from "node:fs";
import path from "node:path";
import express, { type Response, Router } from "express";

/**
 * The project root: the nearest folder above this file holding package.json. The same answer from
 * src/admin (jest, ts-node) and from dist/src/admin (npm start), so the console's assets are served
 * from the source folder and nothing is copied at build time.
 */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

/** Where the console's static files live (plain ES modules, type-checked by tsconfig.admin.json). */
export const ADMIN_ASSETS = path.join(projectRoot(), "src", "admin", "public");

// The console talks only to /graphql (same origin) and starts SSO through same-origin links.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join("; ");

function secure(res: Response): void {
  res.set({
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
  });
}

/**
 * The admin console, mounted at `/admin`: a single page (hash routes) and its ES modules. Every
 * answer is revalidated (ETag) so a deploy is seen at once while repeat loads stay 304s.
 */
export function adminRoutes(assets: string = ADMIN_ASSETS): Router {
  const router = Router();
  const index = path.join(assets, "index.html");
  router.use((_req, res, next) => {
    secure(res);
    next();
  });
  router.get("/", (req, res, next) => {
    // `/admin` → `/admin/` so relative module URLs resolve under /admin/.
    if (!req.originalUrl.split("?")[0].endsWith("/")) {
      const q = req.originalUrl.indexOf("?");
      res.redirect(301, `${req.baseUrl}/${q >= 0 ? req.originalUrl.slice(q) : ""}`);
      return;
    }
    res.set("Cache-Control", "no-cache").sendFile(index, (err) => err && next(err));
  });
  router.use(
    express.static(assets, {
      index: false,
      redirect: false,
      fallthrough: true,
      setHeaders: (res) => res.setHeader("Cache-Control", "no-cache"),
    }),
  );
  router.use((_req, res) => {
    res.status(404).type("text").send("not found");
  });
  return router;
}
