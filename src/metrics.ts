// One file each, not prom-client's index: that also loads its Pushgateway, and with it
// node:http, node:https and node:zlib, ~5 MiB of idle memory for a feature authd does not use.
import Counter from "prom-client/lib/counter";
import Gauge from "prom-client/lib/gauge";
import Histogram from "prom-client/lib/histogram";
import Registry from "prom-client/lib/registry";
import type { Database } from "./db/client";

export type LoginOutcome = "ok" | "failed" | "rate_limited";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const HASH_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus metrics of one app (SPEC §7), in a registry of its own. Labels are only ever
 * route templates, methods, statuses and fixed outcome names: never ids, emails or tokens.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "authd_http_requests_total",
    help: "HTTP requests answered, by method, route template and status.",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "authd_http_request_duration_seconds",
    help: "Time from a request's arrival to its response, by method and route template.",
    labelNames: ["method", "route"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly logins = new Counter({
    name: "authd_logins_total",
    help: "Login attempts by outcome: ok, failed (any 401/403 answer) or rate_limited (429).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly rotations = new Counter({
    name: "authd_refresh_rotations_total",
    help: "Refresh tokens rotated into a new pair.",
    registers: [this.registry],
  });
  private readonly reuses = new Counter({
    name: "authd_refresh_reuse_detected_total",
    help: "Spent refresh tokens presented again (their session was revoked).",
    registers: [this.registry],
  });
  private readonly hashing = new Histogram({
    name: "authd_password_hash_duration_seconds",
    help: "Time to hash or verify a password (argon2id), waiting for a free hashing thread included.",
    labelNames: ["operation"] as const,
    buckets: HASH_BUCKETS,
    registers: [this.registry],
  });
  // One child per (method, route, status) seen: prom-client's own label lookup sorts and
  // joins the label object on every call, this costs one string and one Map lookup.
  private readonly bound = new Map<string, { count: { inc(): void }; latency: { observe(value: number): void } }>();

  constructor(database: Database) {
    new Gauge({
      name: "authd_db_pool_connections",
      help: "Database connections by state: busy (running queries), idle, connecting; waiting counts queued queries.",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        const stats = database.poolStats();
        for (const [state, value] of Object.entries(stats)) this.set({ state }, value);
      },
    });
  }

  /** Requests answered since start (for the idle check in server.ts). */
  answered = 0;

  request(method: string, route: string, status: number, seconds: number): void {
    this.answered++;
    const key = `${method} ${status} ${route}`;
    let series = this.bound.get(key);
    if (!series) {
      series = { count: this.requests.labels(method, route, String(status)), latency: this.latency.labels(method, route) };
      this.bound.set(key, series);
    }
    series.count.inc();
    series.latency.observe(seconds);
  }

  login(outcome: LoginOutcome): void {
    this.logins.inc({ outcome });
  }

  rotation(outcome: "rotated" | "reused" | "invalid"): void {
    if (outcome === "rotated") this.rotations.inc();
    else if (outcome === "reused") this.reuses.inc();
  }

  passwordWork(operation: "hash" | "verify", seconds: number): void {
    this.hashing.observe({ operation }, seconds);
  }

  private processMetrics?: Promise<void>;

  /**
   * The text exposition. prom-client's process metrics (CPU, memory, open files, event-loop lag)
   * are loaded by the first scrape: until something scrapes, they would only cost memory.
   */
  async exposition(): Promise<string> {
    this.processMetrics ??= import("prom-client/lib/defaultMetrics").then(({ default: collectDefaultMetrics }) =>
      collectDefaultMetrics({ register: this.registry }),
    );
    await this.processMetrics;
    // prom-client spells NaN "Nan" (Prometheus reads it, its float parser ignores case; strict
    // parsers do not). The first scrape has some: the event-loop monitor has no samples yet.
    return (await this.registry.metrics()).replace(/ Nan$/gm, " NaN");
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
