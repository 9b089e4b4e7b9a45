// prom-client's classes, imported one file each (src/metrics.ts says why): the same values its
// index exports, typed by its own declarations.
declare module "prom-client/lib/registry" {
  export { Registry as default } from "prom-client";
}
declare module "prom-client/lib/counter" {
  export { Counter as default } from "prom-client";
}
declare module "prom-client/lib/gauge" {
  export { Gauge as default } from "prom-client";
}
declare module "prom-client/lib/histogram" {
  export { Histogram as default } from "prom-client";
}
declare module "prom-client/lib/defaultMetrics" {
  export { collectDefaultMetrics as default } from "prom-client";
}
