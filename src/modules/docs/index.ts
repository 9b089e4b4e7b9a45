import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import swaggerBundlePath from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import swaggerCssPath from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import packageJson from "../../../package.json";

const SPEC_URL = "/api-doc/json";

// Absolute asset and spec URLs: relative ones break under /api-doc/ (trailing slash).
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>authd API</title>
  <link rel="stylesheet" href="/api-doc/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api-doc/assets/swagger-ui-bundle.js"></script>
  <script src="/api-doc/assets/swagger-init.js"></script>
</body>
</html>
`;

const PAGE_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// A file of its own rather than an inline <script>, so the CSP needs no 'unsafe-inline' for scripts.
const INIT = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(SPEC_URL)}, dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: false });\n`;

const asset = (body: string | Blob, type: string) =>
  new Response(body, { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });

/** Swagger UI at /api-doc, served entirely from this process (no CDN), and the spec at /api-doc/json. */
/** The Swagger UI page (also mounted at seed 001's /api/v1/swagger/ui/). */
export const swaggerPage = () =>
  new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_CSP } });

export const docsModule = () =>
  new Elysia()
    .use(
      openapi({
        path: "/api-doc",
        specPath: SPEC_URL,
        provider: null,
        // staticFile: false, or /.well-known/jwks.json (a ".json" path) would be left out.
        exclude: { paths: [/^\/api-doc/], staticFile: false },
        documentation: {
          info: {
            title: "authd",
            version: packageJson.version,
            description:
              "Self-hosted authentication: accounts, short-lived JWT access tokens, rotating refresh tokens, sessions and runtime settings. Every error has the shape `{detail, code, fields?}`.",
          },
          tags: [
            { name: "auth", description: "Register, log in, rotate and revoke tokens" },
            { name: "me", description: "The authenticated user's own account and profile" },
            { name: "profiles", description: "Public profiles: read by anyone (private ones by their owner and staff), edited by their owner, searched by username" },
            { name: "password", description: "Change a password, or reset a forgotten one by mail" },
            { name: "email", description: "Verify an email address by mail" },
            { name: "admin", description: "Runtime settings and users (staff may read, superusers may change)" },
            { name: "health", description: "Liveness and readiness probes" },
            { name: "compat: simplejwt", description: "Django REST Framework SimpleJWT's routes (COMPAT_ROUTES=simplejwt)" },
            { name: "compat: v1", description: "Seed 001's /api/v1 routes (COMPAT_ROUTES=v1)" },
            { name: "compat: dj-rest-auth", description: "dj-rest-auth's routes in JWT mode, under /dj-rest-auth/ (COMPAT_ROUTES=dj-rest-auth)" },
          ],
          components: {
            securitySchemes: {
              bearerAuth: {
                type: "http",
                scheme: "bearer",
                bearerFormat: "JWT",
                description: "The `access_token` from /api/login/ or /api/refresh/.",
              },
            },
          },
        },
      }),
    )
    .get("/api-doc", swaggerPage, {
      detail: { hide: true },
    })
    .get("/api-doc/assets/swagger-ui.css", () => asset(Bun.file(swaggerCssPath), "text/css; charset=utf-8"), {
      detail: { hide: true },
    })
    .get(
      "/api-doc/assets/swagger-ui-bundle.js",
      () => asset(Bun.file(swaggerBundlePath), "text/javascript; charset=utf-8"),
      { detail: { hide: true } },
    )
    .get("/api-doc/assets/swagger-init.js", () => asset(INIT, "text/javascript; charset=utf-8"), {
      detail: { hide: true },
    });
