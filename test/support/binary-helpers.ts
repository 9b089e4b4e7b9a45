import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const ROOT = join(import.meta.dir, "../..");
let built: Promise<string> | undefined;

/**
 * The binary under test: AUTHD_BINARY (CI builds it with `bun run build`), else built once per
 * process by src/build.ts with the release's flags (without its training run).
 */
export function buildBinary(): Promise<string> {
  if (process.env.AUTHD_BINARY) return Promise.resolve(process.env.AUTHD_BINARY);
  built ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), "authd-build-")), "authd");
    const build = Bun.spawn(["bun", "src/build.ts", "--untrained", `--outfile=${outfile}`], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
    if ((await build.exited) !== 0) throw new Error(`build failed: ${await new Response(build.stderr).text()}`);
    return outfile;
  })();
  return built;
}

/** An empty directory holding nothing but a copy of the binary. */
export async function lonelyBinary(): Promise<{ dir: string; bin: string }> {
  const dir = mkdtempSync(join(tmpdir(), "authd-vps-"));
  const bin = join(dir, "authd");
  await Bun.write(bin, Bun.file(await buildBinary()));
  await Bun.$`chmod +x ${bin}`;
  return { dir, bin };
}

/** Cheap hashing and quiet logs, on top of a clean environment (no inherited authd settings). */
export function authdEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "info",
    PASSWORD_MEMORY_COST: "1024",
    PASSWORD_TIME_COST: "1",
    ...extra,
  };
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runAuthd(bin: string, args: string[], options: { cwd: string; env: Record<string, string>; stdin?: string }) {
  const child = Bun.spawn([bin, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [exitCode, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { exitCode, stdout, stderr } satisfies RunResult;
}

export interface RunningAuthd {
  base: string;
  process: Subprocess<"ignore", "ignore", "pipe">;
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Every line of stderr so far, as written (a crash's trace is not JSON). */
  lines: string[];
  /** Resolves with the exit code. */
  exited: Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/**
 * Starts `authd serve` and waits until it listens: its "listening" line (PORT=0 picks a free
 * port), or, with a fixed PORT, /healthz answering (a LOG_LEVEL above info prints no line).
 * `onLog` sees each log line as it comes.
 */
export async function startAuthd(
  bin: string,
  options: { cwd: string; env: Record<string, string>; onLog?: (entry: Record<string, unknown>) => void; umask?: string },
): Promise<RunningAuthd> {
  // With a umask, through a shell that sets it and then becomes authd (same pid).
  const command = options.umask === undefined ? [bin, "serve"] : ["sh", "-c", `umask ${options.umask} && exec "$0" serve`, bin];
  const child = Bun.spawn(command, { cwd: options.cwd, env: options.env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const logs: Array<Record<string, unknown>> = [];
  let resolveListening: (url: string) => void = () => {};
  let rejectListening: (error: Error) => void = () => {};
  const listening = new Promise<string>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  const rawLines: string[] = [];
  const logsRead = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of child.stderr) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        rawLines.push(line);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        logs.push(entry);
        options.onLog?.(entry);
        if (entry.message === "listening") resolveListening(entry.url as string);
      }
    }
  })();
  const exited = Promise.all([child.exited, logsRead]).then(([code]) => code);
  let running = true;
  exited.then((code) => {
    running = false;
    rejectListening(new Error(`authd exited with ${code} before listening: ${rawLines.join(" | ")}`));
  });
  const port = Number(options.env.PORT ?? 3000);
  if (port !== 0) {
    void (async () => {
      const url = `http://127.0.0.1:${port}`;
      while (running) {
        if (await fetch(`${url}/healthz`).then((response) => response.ok, () => false)) return resolveListening(url);
        await Bun.sleep(20);
      }
    })();
  }
  const url = await Promise.race([
    listening,
    Bun.sleep(30_000).then(() => {
      child.kill("SIGKILL");
      throw new Error("authd did not start within 30 s");
    }),
  ]);
  return {
    base: url.replace("0.0.0.0", "127.0.0.1"),
    process: child,
    logs,
    lines: rawLines,
    exited,
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      return exited;
    },
  };
}

export const jsonRequest = (base: string, method: string, path: string, body?: unknown, token?: string) =>
  fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
