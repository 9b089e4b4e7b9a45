import { Elysia } from "elysia";
import adminCssPath from "./admin.css" with { type: "file" };
import adminScriptPath from "./admin.js" with { type: "file" };
import page from "./page.html" with { type: "file" };

// bun-types types HTML imports as HTML bundles; imported as a file, it is its path.
const pagePath = page as unknown as string;

/** Scripts and styles from this origin only, no inline code, no CDN: the zone works offline. */
const ZONE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const file = (path: string, type: string, cache: string) => () =>
  new Response(Bun.file(path), { headers: { "content-type": type, "cache-control": cache, "content-security-policy": ZONE_CSP } });

/**
 * The /admin web zone: one page and its script, talking to the admin API with the signed-in
 * user's tokens. Staff see everything read-only; superusers change. Every check is the API's.
 */
export const adminZoneModule = () =>
  new Elysia({ detail: { hide: true } })
    .get("/admin", file(pagePath, "text/html; charset=utf-8", "no-store"))
    .get("/admin/assets/admin.js", file(adminScriptPath, "text/javascript; charset=utf-8", "no-cache"))
    .get("/admin/assets/admin.css", file(adminCssPath, "text/css; charset=utf-8", "no-cache"));
