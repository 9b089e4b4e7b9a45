import Type, { type Static } from "typebox";
import { Compile } from "typebox/compile";
import { sql } from "drizzle-orm";
import type { Db } from "./db/client";
import { config } from "./db/schema";
import { validationError } from "./errors";

/** Runtime settings: stored in the `config` table, changed by superusers, no restart needed. */
const seconds = (minimum: number, maximum: number, description: string) =>
  Type.Integer({ minimum, maximum, description });

export const SettingsSchema = Type.Object(
  {
    access_token_lifetime: seconds(1, 86_400, "Lifetime of new access tokens, in seconds."),
    refresh_token_lifetime: seconds(60, 31_536_000, "Lifetime of new refresh tokens, in seconds."),
    refresh_reuse_interval: seconds(0, 60, "Seconds in which a just-rotated refresh token may be presented again."),
    password_reset_lifetime: seconds(60, 86_400, "Lifetime of password-reset tokens, in seconds."),
    require_email_verification: Type.Boolean({ description: "Refuse login until the email is verified." }),
    login_rate_limit: Type.Integer({
      minimum: 0,
      maximum: 10_000,
      description: "Failed logins allowed per account and IP within the window; 0 turns the limit off.",
    }),
    login_rate_limit_window: seconds(1, 86_400, "The window of login_rate_limit, in seconds."),
  },
  { additionalProperties: false },
);

export type Settings = Static<typeof SettingsSchema>;
export type SettingKey = keyof Settings;

export const DEFAULT_SETTINGS: Settings = {
  access_token_lifetime: 30,
  refresh_token_lifetime: 2_592_000,
  refresh_reuse_interval: 0,
  password_reset_lifetime: 900,
  require_email_verification: false,
  login_rate_limit: 10,
  login_rate_limit_window: 900,
};

const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as SettingKey[];
const settingCheckers = Object.fromEntries(
  SETTING_KEYS.map((key) => [key, Compile(SettingsSchema.properties[key])]),
) as Record<SettingKey, ReturnType<typeof Compile>>;

function describe(key: SettingKey, value: unknown): string {
  const schema = SettingsSchema.properties[key] as { type: string; minimum?: number; maximum?: number };
  if (schema.type === "boolean") return "Must be true or false.";
  if (typeof value !== "number" || !Number.isInteger(value)) return "Must be an integer.";
  return `Must be between ${schema.minimum} and ${schema.maximum}.`;
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
  private cached?: { settings: Settings; loadedAt: number };
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
    const rows = await this.db.select({ key: config.key, value: config.value }).from(config);
    const settings = { ...DEFAULT_SETTINGS };
    for (const { key, value } of rows) {
      // A row no longer valid (a bound tightened in a later release) falls back to the default.
      if (key in settings && settingCheckers[key as SettingKey].Check(value)) (settings as Record<string, unknown>)[key] = value;
    }
    this.cached = { settings, loadedAt: Date.now() };
    return settings;
  }
}

/** The settings as a JSON Schema for the OpenAPI document (one source: SettingsSchema). */
export const settingsJsonSchema = (partial: boolean) => {
  const schema = JSON.parse(JSON.stringify(SettingsSchema));
  if (partial) delete schema.required;
  schema.example = DEFAULT_SETTINGS;
  return schema;
};
