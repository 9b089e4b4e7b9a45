import { Elysia } from "elysia";
import type { Logger } from "./logger";

const startedAt = new WeakMap<Request, number>();

const statusOf = (response: unknown, fallback: unknown) =>
  response instanceof Response ? response.status : typeof fallback === "number" ? fallback : 200;

/** One line per request: method, path (never the query string), status, duration. No bodies or headers. */
export const requestLog = (log: Logger) =>
  new Elysia({ name: "request-log" })
    .onRequest(({ request }) => {
      startedAt.set(request, performance.now());
    })
    .onAfterResponse({ as: "global" }, ({ request, path, set, responseValue }) => {
      const started = startedAt.get(request);
      log.info("request", {
        method: request.method,
        path,
        status: statusOf(responseValue, set.status),
        duration_ms: started === undefined ? undefined : Math.round((performance.now() - started) * 100) / 100,
      });
    });
