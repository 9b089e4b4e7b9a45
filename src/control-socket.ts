import { chmodSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "./logger";
import type { UserService } from "./modules/users/service";

/**
 * A Unix socket in DATA_DIR, readable by its owner only, through which `authd createsuperuser`
 * asks a running embedded authd to do the work: PGlite's files may be open in one process only.
 * One JSON line in, one JSON line out.
 */
export const controlSocketPath = (dataDir: string) => join(dataDir, "authd.sock");

export type ControlRequest = { command: "promote"; email: string } | { command: "upsert"; email: string; password: string };
export type ControlReply = { ok: true; found?: boolean; created?: boolean } | { ok: false; message: string };

async function handle(users: UserService, request: ControlRequest): Promise<ControlReply> {
  if (request.command === "promote") return { ok: true, found: (await users.promoteToSuperuser(request.email)) !== undefined };
  const { created } = await users.upsertSuperuser(request.email, request.password);
  return { ok: true, created };
}

/** Serves the control socket (a stale file of a crashed run is replaced); returns its stop. */
export function serveControlSocket(dataDir: string, users: UserService, log: Logger): () => void {
  const path = controlSocketPath(dataDir);
  rmSync(path, { force: true });
  const previousMask = process.umask(0o077); // created for its owner only, from the first instant
  const listener = Bun.listen<{ buffer: string }>({
    unix: path,
    socket: {
      open(socket) {
        socket.data = { buffer: "" };
      },
      async data(socket, chunk) {
        socket.data.buffer += chunk.toString();
        const end = socket.data.buffer.indexOf("\n");
        if (end < 0) return;
        let reply: ControlReply;
        try {
          reply = await handle(users, JSON.parse(socket.data.buffer.slice(0, end)) as ControlRequest);
        } catch (error) {
          log.warn("control socket request failed", { error: (error as Error).message });
          reply = { ok: false, message: (error as Error).message };
        }
        socket.end(`${JSON.stringify(reply)}\n`);
      },
    },
  });
  process.umask(previousMask);
  chmodSync(path, 0o600);
  return () => {
    listener.stop(true);
    rmSync(path, { force: true });
  };
}

/** Sends one request to a running authd; undefined when none listens on DATA_DIR's socket. */
export async function sendControlRequest(dataDir: string, request: ControlRequest): Promise<ControlReply | undefined> {
  const path = controlSocketPath(dataDir);
  if (!existsSync(path)) return undefined;
  return new Promise((resolve) => {
    let answer = "";
    Bun.connect({
      unix: path,
      socket: {
        open(socket) {
          socket.write(`${JSON.stringify(request)}\n`);
        },
        data(_socket, chunk) {
          answer += chunk.toString();
        },
        close() {
          try {
            resolve(JSON.parse(answer) as ControlReply);
          } catch {
            resolve({ ok: false, message: "no answer from the running authd" });
          }
        },
        error() {
          resolve(undefined);
        },
      },
    }).catch(() => resolve(undefined));
  });
}
