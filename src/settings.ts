import Type from "typebox";
import { Compile } from "typebox/compile";
import { sql } from "drizzle-orm";
import type { Db } from "./db/client";
import { config } from "./db/schema";
import { validationError } from "./errors";

/**
 * Runtime settings: stored in the `config` table, changed by superusers, no restart needed.
 * This table is the one definition: the typebox validator and the API's schema derive from it.
 */
const DEFINITIONS = {
  access_token_lifetime: { default: 30, minimum: 1, maximum: 86_400, description: "Lifetime of new access tokens, in seconds." },
  refresh_token_lifetime: { default: 2_592_000, minimum: 60, maximum: 31_536_000, description: "Lifetime of new refresh tokens, in seconds." },
  refresh_reuse_interval: { default: 0, minimum: 0, maximum: 60, description: "Seconds in which a just-rotated refresh token presented again gets the same successor instead of revoking the session." },
  password_reset_lifetime: { default: 900, minimum: 60, maximum: 86_400, description: "Lifetime of password-reset tokens, in seconds." },
  require_email_verification: { default: false, description: "Refuse login until the email is verified." },
  login_rate_limit: { default: 10, minimum: 0, maximum: 10_000, description: "Failed logins allowed per account and IP within the window; 0 turns the limit off." },
  login_rate_limit_window: { default: 900, minimum: 1, maximum: 86_400, description: "The window of login_rate_limit, in seconds." },
} as const;

type Definitions = typeof DEFINITIONS;
export type SettingKey = keyof Definitions;
export type Settings = { -readonly [K in SettingKey]: Definitions[K]["default"] extends boolean ? boolean : number };

export const SETTING_DEFINITIONS: Readonly<Record<SettingKey, { default: number | boolean; minimum?: number; maximum?: number; description: string }>> = DEFINITIONS;

export const DEFAULT_SETTINGS = Object.fromEntries(
  Object.entries(DEFINITIONS).map(([key, definition]) => [key, definition.default]),
) as Settings;

export const SettingsSchema = Type.Object(
  Object.fromEntries(
    Object.entries(SETTING_DEFINITIONS).map(([key, { default: fallback, minimum, maximum, description }]) => [
      key,
      typeof fallback === "boolean" ? Type.Boolean({ description }) : Type.Integer({ minimum, maximum, description }),
    ]),
  ),
  { additionalProperties: false },
);

const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as SettingKey[];
const settingCheckers = Object.fromEntries(
  SETTING_KEYS.map((key) => [key, Compile(SettingsSchema.properties[key]!)]),
) as Record<SettingKey, ReturnType<typeof Compile>>;

function describe(key: SettingKey, value: unknown): string {
  const { default: fallback, minimum, maximum } = SETTING_DEFINITIONS[key];
  if (typeof fallback === "boolean") return "Must be true or false.";
  if (typeof value !== "number" || !Number.isInteger(value)) return "Must be an integer.";
  return `Must be between ${minimum} and ${maximum}.`;
}

/** Checks a partial update: every key known, every value in range; else a 400 naming each bad key. */
export function parseSettingsUpdate(input: unknown): Partial<Settings> {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw validationError({ non_field_errors: ["Expected a JSON object of settings."] });
  const fields: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(key in DEFAULT_SETTINGS)) fields[key] = ["Unknown setting."];
    else if (!settingCheckers[key as SettingKey].Check(value)) fields[key] = [describe(key as SettingKey, value)];
  }
  if (Object.keys(fields).length) throw validationError(fields, "Invalid settings; nothing was changed.");
  return input as Partial<Settings>;
}

/**
 * Reads settings through a short cache, so a change made on another instance arrives within
 * `maxAgeMs` and hot paths do not query the table on every request.
 */
export class SettingsStore {
  private cached?: { settings: Settings; loadedAt: number; generation: number };
  private generations = 0;
  private loading?: Promise<Settings>;

  constructor(
    private readonly db: Db,
    private readonly maxAgeMs = 2_000,
  ) {}

  async current(): Promise<Settings> {
    if (this.cached && Date.now() - this.cached.loadedAt < this.maxAgeMs) return this.cached.settings;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  async update(changes: Partial<Settings>, updatedBy: number | null): Promise<Settings> {
    const entries = Object.entries(changes);
    if (entries.length) {
      await this.db
        .insert(config)
        .values(entries.map(([key, value]) => ({ key, value, updatedBy })))
        .onConflictDoUpdate({
          target: config.key,
          set: { value: sql`excluded.value`, updatedBy: sql`excluded.updated_by`, updatedAt: sql`now()` },
        });
    }
    return this.load();
  }

  private async load(): Promise<Settings> {
    // A read that began before an update may finish after it: it must not put old values back.
    const generation = ++this.generations;
    const rows = await this.db.select({ key: config.key, value: config.value }).from(config);
    const settings = { ...DEFAULT_SETTINGS };
    for (const { key, value } of rows) {
      // A row no longer valid (a bound tightened in a later release) falls back to the default.
      if (key in settings && settingCheckers[key as SettingKey].Check(value)) (settings as Record<string, unknown>)[key] = value;
    }
    if (!this.cached || generation > this.cached.generation) this.cached = { settings, loadedAt: Date.now(), generation };
    return settings;
  }
}
