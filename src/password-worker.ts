/**
 * A password-hashing thread. It lowers its own scheduling priority first, so that while it
 * hashes, the event loop (and PostgreSQL) still get a core the moment they have work: login
 * floods then cost throughput of logins, not latency of every other request.
 */
import { dlopen, FFIType } from "bun:ffi";

declare const self: Worker;

const NICENESS = 10;

function lowerThreadPriority() {
  try {
    const libc = dlopen("libc.so.6", {
      gettid: { args: [], returns: FFIType.i32 },
      setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
    });
    // PRIO_PROCESS with a thread id changes only that thread on Linux.
    libc.symbols.setpriority(0, libc.symbols.gettid(), NICENESS);
  } catch {
    // Not glibc Linux: hash at normal priority.
  }
}

export type PasswordTask =
  | { kind: "hash"; password: string; memoryCost: number; timeCost: number }
  | { kind: "verify"; password: string; hash: string };
type PasswordJob = PasswordTask & { id: number };

lowerThreadPriority();

self.onmessage = ({ data: job }: MessageEvent<PasswordJob>) => {
  try {
    const result =
      job.kind === "hash"
        ? Bun.password.hashSync(job.password, { algorithm: "argon2id", memoryCost: job.memoryCost, timeCost: job.timeCost })
        : Bun.password.verifySync(job.password, job.hash);
    self.postMessage({ id: job.id, result });
  } catch (error) {
    self.postMessage({ id: job.id, error: (error as Error).message });
  }
};
