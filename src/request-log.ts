import { Elysia } from "elysia";
import type { AppConfig } from "./config";
import type { Logger } from "./logger";

const statusOf = (response: unknown, fallback: unknown) =>
  response instanceof Response ? response.status : typeof fallback === "number" ? fallback : 200;

/** One line per request: method, path (never the query string), status, duration. No bodies or headers. */
export const requestLog = (log: Logger, level: AppConfig["logLevel"]) =>
  level !== "debug" && level !== "info"
    ? new Elysia({ name: "request-log" }) // not logged at this level: no hooks at all
    : new Elysia({ name: "request-log" })
    // Elysia hands every hook of a request the same context object: the start time rides on it
    // (a WeakMap keyed by Request got slower and slower under sustained load).
    .onRequest((context) => {
      (context as { startedAt?: number }).startedAt = performance.now();
    })
    .onAfterResponse({ as: "global" }, (context) => {
      const { request, path, set, responseValue } = context;
      const startedAt = (context as { startedAt?: number }).startedAt;
      log.info("request", {
        method: request.method,
        path,
        status: statusOf(responseValue, set.status),
        duration_ms: startedAt === undefined ? undefined : Math.round((performance.now() - startedAt) * 100) / 100,
      });
    });
