/**
 * A password-hashing thread. It puts itself under Linux's SCHED_IDLE policy first: it then
 * runs on whatever CPU time nothing else wants, and the event loop (and PostgreSQL) take a
 * core back the moment they have work. Login floods cost throughput of logins, not latency
 * of every other request. (A nice value of 10 left GET /api/me/ p99 at 50-100 ms during a
 * login flood, SCHED_IDLE at ~26 ms: a waking normal thread always preempts an idle one.)
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

declare const self: Worker;

const SCHED_IDLE = 5;
const NICEST = 19;

function lowerThreadPriority() {
  try {
    const libc = dlopen("libc.so.6", {
      gettid: { args: [], returns: FFIType.i32 },
      sched_setscheduler: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
    });
    // With a thread id, both change only that thread on Linux. A process may always lower
    // its own priority; should the policy change be refused, the lowest nice value will do.
    const thread = libc.symbols.gettid();
    const schedParam = new Int32Array([0]); // sched_priority must be 0 for SCHED_IDLE
    if (libc.symbols.sched_setscheduler(thread, SCHED_IDLE, ptr(schedParam)) !== 0)
      libc.symbols.setpriority(0, thread, NICEST);
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
