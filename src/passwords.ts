import { availableParallelism } from "node:os";
import type { AppConfig } from "./config";
import type { Metrics } from "./metrics";
import type { PasswordTask } from "./password-worker";

interface Thread {
  worker: Worker;
  /** Jobs posted and not yet answered. */
  busy: number;
  retireTimer?: ReturnType<typeof setTimeout>;
}

type Pending = { resolve: (value: never) => void; reject: (error: Error) => void; thread: Thread };

/** A thread idle this long is ended; the next hash starts one again (~20 ms). */
const RETIRE_AFTER_MS = 15_000;

/**
 * argon2id (Bun.password) on a pool of low-priority worker threads, one per core, never on the
 * event loop. Bun's own async hashing runs at normal priority on its thread pool, and a flood
 * of logins then starved every other request (GET /api/me/ p99 250 ms).
 *
 * Threads start on first need, one more each time all running ones are busy, and end after
 * RETIRE_AFTER_MS without work: each holds a JavaScript heap of its own (~10 MiB), which an
 * idle server, or one that mostly refreshes and serves `/api/me/`, should not pay for.
 */
class PasswordPool {
  private readonly threads: Thread[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly waitingForDone: Array<() => void> = [];

  constructor(private readonly size: number) {}

  private spawn(): Thread {
    const thread: Thread = { worker: new Worker(new URL("./password-worker.ts", import.meta.url)), busy: 0 };
    thread.worker.onmessage = ({ data }: MessageEvent<{ id: number; result?: unknown; error?: string }>) => {
      const job = this.pending.get(data.id);
      if (!job) return;
      this.pending.delete(data.id);
      if (--job.thread.busy === 0) {
        job.thread.worker.unref();
        job.thread.retireTimer = setTimeout(() => this.retire(job.thread), RETIRE_AFTER_MS);
        job.thread.retireTimer.unref();
      }
      if (data.error !== undefined) job.reject(new Error(data.error));
      else job.resolve(data.result as never);
      if (this.pending.size === 0) for (const resolve of this.waitingForDone.splice(0)) resolve();
    };
    // Referenced only while it has work: an idle thread must not keep a finished process
    // alive, and a busy unref()'d Worker makes Bun's event loop busy-poll (a core at 100%).
    thread.worker.unref();
    this.threads.push(thread);
    return thread;
  }

  private retire(thread: Thread): void {
    if (thread.busy > 0) return;
    this.threads.splice(this.threads.indexOf(thread), 1);
    thread.worker.terminate();
  }

  /** Resolves once no hash is queued or running. */
  done(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waitingForDone.push(resolve));
  }

  run<T>(task: PasswordTask): Promise<T> {
    let target = this.threads[0];
    for (const thread of this.threads) if (thread.busy < target!.busy) target = thread;
    if (!target || (target.busy > 0 && this.threads.length < this.size)) target = this.spawn();
    clearTimeout(target.retireTimer);
    if (target.busy++ === 0) target.worker.ref();
    const id = this.nextId++;
    const thread = target;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: never) => void, reject, thread });
      thread.worker.postMessage({ ...task, id });
    });
  }
}

let sharedPool: PasswordPool | undefined;

/** Resolves once no password is being hashed or verified in this process. */
export const passwordWorkDone = (): Promise<void> => sharedPool?.done() ?? Promise.resolve();

export class PasswordHasher {
  // A real hash to verify against when the account does not exist, so an unknown email costs
  // the same time as a wrong password.
  private decoy?: Promise<string>;
  private readonly pool = (sharedPool ??= new PasswordPool(Math.max(1, availableParallelism())));

  constructor(
    private readonly cost: AppConfig["passwordCost"],
    private readonly metrics?: Metrics,
  ) {}

  hash(password: string): Promise<string> {
    return this.timed("hash", this.pool.run({ kind: "hash", password, ...this.cost }));
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.timed("verify", this.pool.run({ kind: "verify", password, hash }));
  }

  private async timed<T>(operation: "hash" | "verify", work: Promise<T>): Promise<T> {
    const startedAt = performance.now();
    try {
      return await work;
    } finally {
      this.metrics?.passwordWork(operation, (performance.now() - startedAt) / 1000);
    }
  }

  async verifyDecoy(password: string): Promise<false> {
    this.decoy ??= this.hash(crypto.randomUUID());
    await this.verify(password, await this.decoy);
    return false;
  }
}
