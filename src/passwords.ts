import { availableParallelism } from "node:os";
import type { AppConfig } from "./config";
import type { Metrics } from "./metrics";
import type { PasswordTask } from "./password-worker";

type Pending = { resolve: (value: never) => void; reject: (error: Error) => void };

/**
 * argon2id (Bun.password) on a pool of low-priority worker threads, one per core, never on the
 * event loop. Bun's own async hashing runs at normal priority on its thread pool, and a flood
 * of logins then starved every other request (GET /api/me/ p99 250 ms).
 */
class PasswordPool {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly pending = new Map<number, Pending & { worker: number }>();
  private nextId = 0;
  private readonly waitingForDone: Array<() => void> = [];

  constructor(private readonly size: number) {}

  /**
   * Threads start on first need, one more each time all running ones are busy: each holds a
   * JavaScript heap of its own, which an idle server (or one that only refreshes and serves
   * `/api/me/`) should not pay for.
   */
  private spawn(): number {
    const index = this.workers.length;
    const worker = new Worker(new URL("./password-worker.ts", import.meta.url));
    worker.onmessage = ({ data }: MessageEvent<{ id: number; result?: unknown; error?: string }>) => {
      const job = this.pending.get(data.id);
      if (!job) return;
      this.pending.delete(data.id);
      if (--this.busy[job.worker]! === 0) this.workers[job.worker]!.unref();
      if (data.error !== undefined) job.reject(new Error(data.error));
      else job.resolve(data.result as never);
      if (this.pending.size === 0) for (const resolve of this.waitingForDone.splice(0)) resolve();
    };
    // Referenced only while it has work: an idle thread must not keep a finished process
    // alive, and a busy unref()'d Worker makes Bun's event loop busy-poll (a core at 100%).
    worker.unref();
    this.workers.push(worker);
    this.busy.push(0);
    return index;
  }

  /** Resolves once no hash is queued or running. */
  done(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waitingForDone.push(resolve));
  }

  run<T>(task: PasswordTask): Promise<T> {
    let target = 0;
    for (let index = 1; index < this.workers.length; index++) if (this.busy[index]! < this.busy[target]!) target = index;
    if (this.workers.length < this.size && (this.workers.length === 0 || this.busy[target]! > 0)) target = this.spawn();
    const id = this.nextId++;
    if (this.busy[target]!++ === 0) this.workers[target]!.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: never) => void, reject, worker: target });
      this.workers[target]!.postMessage({ ...task, id });
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
