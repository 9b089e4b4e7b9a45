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

/**
 * An error as log fields, without personal data: a failed query's message ends with its
 * parameters (emails, IPs, names), so everything from "params:" on is dropped, from the stack
 * too. The query text, the database's own message and the stack frames stay.
 */
export function errorFields(error: unknown) {
  if (!(error instanceof Error)) return { error: String(error) };
  const message = withoutParameters(error.message);
  const frames = error.stack?.indexOf("\n    at ") ?? -1;
  const cause = (error as { cause?: unknown }).cause;
  return {
    error: message,
    cause: cause instanceof Error ? withoutParameters(cause.message) : String(cause ?? ""),
    stack: `${error.name}: ${message}${frames >= 0 ? error.stack!.slice(frames) : ""}`,
  };
}

const withoutParameters = (message: string) => {
  const at = message.indexOf("\nparams: ");
  return at < 0 ? message : `${message.slice(0, at)}\nparams: [not logged]`;
};
