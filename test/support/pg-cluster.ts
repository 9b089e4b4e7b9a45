import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Debian's PostgreSQL server binaries (initdb, pg_ctl), newest version first; none if not installed. */
export function postgresBinaries(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((version) => join(root, version, "bin")).find((bin) => existsSync(join(bin, "initdb")));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway PostgreSQL cluster of its own, in a temp dir on a free port, that a test may stop
 * and start at will without touching the machine's server. PostgreSQL refuses to run as root,
 * so as root it runs as the `postgres` user that Debian's packages create.
 */
export class ThrowawayCluster {
  readonly url: string;
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  static async create(): Promise<ThrowawayCluster> {
    const bin = postgresBinaries();
    if (!bin) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql");
    const dir = mkdtempSync(join(tmpdir(), "authd-pg-"));
    if (process.getuid?.() === 0) {
      const { uid, gid } = await userIds("postgres");
      chownSync(dir, uid, gid);
    }
    const cluster = new ThrowawayCluster(bin, dir, await freePort());
    await cluster.run(["initdb", "-D", join(dir, "data"), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
    await cluster.start();
    return cluster;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=60`;
    await this.run(["pg_ctl", "-D", join(this.dir, "data"), "-l", join(this.dir, "log"), "-o", options, "-w", "-t", "30", "start"]);
  }

  /** A fast shutdown: open connections are cut, in-flight transactions roll back. */
  async stop(): Promise<void> {
    await this.run(["pg_ctl", "-D", join(this.dir, "data"), "-m", "fast", "-w", "-t", "30", "stop"]);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async run(command: string[]): Promise<void> {
    const [program, ...args] = command;
    const full = [join(this.bin, program!), ...args];
    const asPostgres = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...full] : full;
    const child = Bun.spawn(asPostgres, { cwd: this.dir, stdout: "pipe", stderr: "pipe" });
    if ((await child.exited) !== 0)
      throw new Error(`${program} failed: ${await new Response(child.stderr).text()} ${await new Response(child.stdout).text()}`);
  }
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([Bun.$`id -u ${name}`.text(), Bun.$`id -g ${name}`.text()]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}
