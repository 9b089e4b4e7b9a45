import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** The permission bits of group and others: none of authd's files has any. */
export const GROUP_AND_OTHERS = 0o077;

/** Creates `dir` (and its parents) owner-only if missing. */
export const makePrivateDir = (dir: string) => mkdirSync(dir, { recursive: true, mode: 0o700 });

/**
 * Takes group and other permissions off `dir` and everything under it (a data directory made
 * by an older authd, or copied in with loose modes); symbolic links are not followed. Returns
 * how many entries it changed.
 */
export function tightenTree(dir: string): number {
  let changed = 0;
  const pending = [dir];
  while (pending.length) {
    const path = pending.pop()!;
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) continue;
    if (stats.mode & GROUP_AND_OTHERS) {
      chmodSync(path, stats.mode & 0o7700 & ~GROUP_AND_OTHERS);
      changed++;
    }
    if (stats.isDirectory()) for (const entry of readdirSync(path)) pending.push(join(path, entry));
  }
  return changed;
}
