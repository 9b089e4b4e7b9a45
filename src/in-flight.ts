import { Elysia } from "elysia";

/**
 * Requests whose handler is still running. A client that hangs up does not stop its handler,
 * and Bun stops counting the request at once (`server.stop()` then resolves early): a graceful
 * shutdown waits for these too before it closes the database.
 */
export class InFlightHandlers {
  private readonly active = new Set<object>();
  private onIdle: (() => void) | undefined;

  // The same context object reaches every hook of a request. Transform runs once a route
  // matched; after-response runs when its handler is done, whether it answered or threw.
  readonly plugin = new Elysia()
    .onTransform({ as: "global" }, (context) => {
      this.active.add(context);
    })
    .onAfterResponse({ as: "global" }, (context) => {
      if (this.active.delete(context) && this.active.size === 0) this.onIdle?.();
    });

  get size(): number {
    return this.active.size;
  }

  idle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.onIdle = resolve;
    });
  }
}
