import { FFIType, dlopen, ptr } from "bun:ffi";

const MADV_DONTNEED = 4;

function openLibc() {
  try {
    return dlopen("libc.so.6", {
      getpagesize: { args: [], returns: FFIType.i32 },
      mincore: { args: [FFIType.ptr, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
      madvise: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    }).symbols;
  } catch {
    return null; // not glibc Linux: nothing is released
  }
}
let libc: ReturnType<typeof openLibc> | undefined;

/**
 * Hands back to the system the pages of `memory` (a WebAssembly memory's buffer) that are
 * resident but hold only zeros, and returns how many bytes that was (a page only read since
 * the last call counts too, though it was the kernel's shared zero page and cost nothing).
 *
 * PostgreSQL in PGlite writes zeros over much of the memory it sets up (lock tables, buffer
 * descriptors, pages of the buffer pool no query has read yet), and WebAssembly memory never
 * shrinks: those pages would stay resident for the life of the process. MADV_DONTNEED on a
 * private anonymous mapping makes a page read as zeros again, so the memory's content does not
 * change. The check and the release run in one synchronous pass on the only thread that runs
 * PGlite's code: no write can come between them.
 */
export function releaseZeroPages(memory: ArrayBuffer): number {
  libc ??= openLibc();
  if (!libc || memory.byteLength === 0) return 0;
  const pageSize = libc.getpagesize();
  const base = ptr(new Uint8Array(memory));
  // Whole pages inside the buffer only.
  const first = Math.ceil(base / pageSize) * pageSize;
  const pages = Math.floor((base + memory.byteLength - first) / pageSize);
  if (pages <= 0) return 0;
  const resident = new Uint8Array(pages);
  if (libc.mincore(first, pages * pageSize, ptr(resident)) !== 0) return 0;
  const words = new Int32Array(memory, first - base, (pages * pageSize) / 4);
  const wordsPerPage = pageSize / 4;
  let released = 0;
  for (let page = 0; page < pages; page++) {
    if ((resident[page]! & 1) === 0) continue;
    let zero = true;
    for (let word = page * wordsPerPage, end = word + wordsPerPage; word < end; word++) {
      if (words[word] !== 0) {
        zero = false;
        break;
      }
    }
    if (zero && libc.madvise(first + page * pageSize, pageSize, MADV_DONTNEED) === 0) released += pageSize;
  }
  return released;
}
