import type { PGlite } from "@electric-sql/pglite";
import { NodeFS } from "@electric-sql/pglite/nodefs";
import { GROUP_AND_OTHERS } from "./private-files";

type PostgresMod = Parameters<NodeFS["init"]>[1];
/** The parts of Emscripten's NODEFS that set a file's mode. */
interface NodeFsModes {
  doSetAttr(target: unknown, node: unknown, attr: { mode?: number }, ...rest: unknown[]): void;
  node_ops: { mknod(parent: unknown, name: string, mode: number, dev: number): unknown };
}

/**
 * PGlite's data directory on disk, with every file and directory it creates or chmods owner-only,
 * whatever the umask: PostgreSQL inside the WebAssembly sandbox asks for 0666 (initdb's files
 * are unpacked into the directory with their in-memory modes), and ~970 files of `pgdata/`
 * came out world-readable and writable (the WAL, pg_control, the catalogs, pg_hba.conf).
 */
export class PrivateNodeFS extends NodeFS {
  override async init(pg: PGlite, options: Partial<PostgresMod>) {
    const result = await super.init(pg, options);
    const preRun = [result.emscriptenOpts.preRun ?? []].flat();
    result.emscriptenOpts.preRun = [...preRun, (mod: PostgresMod) => ownerOnly((mod as unknown as { NODEFS: NodeFsModes }).NODEFS)];
    return result;
  }
}

function ownerOnly(nodefs: NodeFsModes): void {
  const { doSetAttr } = nodefs;
  nodefs.doSetAttr = (target, node, attr, ...rest) =>
    doSetAttr(target, node, attr.mode === undefined ? attr : { ...attr, mode: attr.mode & ~GROUP_AND_OTHERS }, ...rest);
  const { mknod } = nodefs.node_ops;
  nodefs.node_ops.mknod = (parent, name, mode, dev) => mknod(parent, name, mode & ~GROUP_AND_OTHERS, dev);
}

