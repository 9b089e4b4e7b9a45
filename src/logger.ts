import type { AppConfig } from "./config";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One JSON object per line on stderr. Callers never pass bodies, tokens or passwords. */
export function createLogger(level: AppConfig["logLevel"]): Logger {
  const threshold = LEVELS[level];
  const write = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[at] < threshold) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: at, message, ...fields })}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

export const errorFields = (error: unknown) =>
  error instanceof Error
    ? { error: error.message, cause: String((error as { cause?: unknown }).cause ?? ""), stack: error.stack }
    : { error: String(error) };
