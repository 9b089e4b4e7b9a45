import { Elysia } from "elysia";
import type { AppConfig } from "./config";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";

const statusOf = (response: unknown, fallback: unknown) =>
  response instanceof Response ? response.status : typeof fallback === "number" ? fallback : 200;

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Every request, once answered, is counted and timed in the metrics by its route template
 * (an unknown path is "unmatched": raw paths would carry ids and grow without bound) and, at
 * LOG_LEVEL info or debug, logged as one line: method, path (never the query string), status,
 * duration. No bodies or headers either way.
 */
export const observeRequests = (metrics: Metrics, log: Logger, level: AppConfig["logLevel"]) => {
  const logging = level === "debug" || level === "info";
  return (
    new Elysia({ name: "observe-requests" })
      // Elysia hands every hook of a request the same context object: the start time rides on
      // it (a WeakMap keyed by Request got slower and slower under sustained load).
      .onRequest((context) => {
        (context as { startedAt?: number }).startedAt = performance.now();
      })
      .onAfterResponse({ as: "global" }, (context) => {
        const { request, path, route, set, responseValue } = context;
        const startedAt = (context as { startedAt?: number }).startedAt ?? performance.now();
        const milliseconds = performance.now() - startedAt;
        const status = statusOf(responseValue, set.status);
        const method = METHODS.has(request.method) ? request.method : "OTHER";
        metrics.request(method, route || "unmatched", status, milliseconds / 1000);
        if (logging)
          log.info("request", { method: request.method, path, status, duration_ms: Math.round(milliseconds * 100) / 100 });
      })
  );
};
