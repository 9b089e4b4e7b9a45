import { sql } from "drizzle-orm";
import { t } from "elysia";
import { TypeCompiler } from "elysia/type-system";
import type { Database, Db } from "./db/client";

/** The PostgreSQL NOTIFY channel of settings changes, shared by every instance. */
const SETTINGS_CHANNEL = "authd_settings";
import { config } from "./db/schema";

/**
 * A whole number from `minimum` to `maximum`. (Elysia's t.Integer also accepts numeric strings;
 * a plain number with multipleOf 1 refuses "60".)
 */
const whole = (fallback: number, minimum: number, maximum: number, description: string) =>
  t.Number({ multipleOf: 1, minimum, maximum, default: fallback, description });

/**
 * Runtime settings: stored in the `config` table, changed by superusers, no restart needed.
 * This schema is their one definition: the admin route's body and response, the defaults, and
 * the check of every stored value all come from it.
 */
export const SettingsSchema = t.Object(
  {
    access_token_lifetime: whole(30, 1, 86_400, "Lifetime of new access tokens, in seconds."),
    refresh_token_lifetime: whole(2_592_000, 1, 31_536_000, "Lifetime of new refresh tokens (and of an unused session), in seconds."),
    refresh_reuse_interval: whole(
      0,
      0,
      60,
      "Seconds in which a just-rotated refresh token presented again gets the same successor instead of revoking the session.",
    ),
    password_reset_lifetime: whole(900, 1, 86_400, "Lifetime of password-reset tokens, in seconds."),
    require_email_verification: t.Boolean({ default: false, description: "Refuse login until the email is verified." }),
    login_rate_limit: whole(
      10,
      0,
      10_000,
      "Failed logins allowed per account (its email, username and every letter case of them counted as one) and client IP within the window; 0 turns the limit off.",
    ),
    login_ip_rate_limit: whole(50, 0, 100_000, "Failed logins allowed per client IP (IPv6: per /64) across all accounts within the window; 0 turns the limit off."),
    login_account_rate_limit: whole(
      50,
      0,
      100_000,
      "Failed logins allowed per account across all IPs within the window. Past it the account waits a window, then twice as long each time it fills again within a day (at most a day); a superuser can lift it. 0 turns the limit off.",
    ),
    login_rate_limit_window: whole(900, 1, 86_400, "The window of the login limits, in seconds."),
    register_rate_limit: whole(20, 0, 100_000, "Registrations allowed per client IP per hour; 0 turns the limit off."),
    password_reset_rate_limit: whole(
      5,
      0,
      100_000,
      "Password-reset requests allowed per hour, per client IP and per email (each counted apart); 0 turns the limit off.",
    ),
    reject_common_passwords: t.Boolean({
      default: false,
      description: "Refuse passwords on a list of common ones (register, change, reset, admin-set).",
    }),
  },
  { additionalProperties: false },
);

export type Settings = typeof SettingsSchema.static;
export type SettingKey = keyof Settings;

const SETTING_KEYS = Object.keys(SettingsSchema.properties) as SettingKey[];

export const DEFAULT_SETTINGS = Object.fromEntries(
  SETTING_KEYS.map((key) => [key, SettingsSchema.properties[key].default]),
) as Settings;
SettingsSchema.examples = [DEFAULT_SETTINGS];

/**
 * A change: some of the settings, no other key. Without the defaults: Elysia fills a missing
 * key from its schema's `default`, which would reset every setting the change leaves out.
 */
export const SettingsUpdateSchema = t.Partial(t.Object(
  Object.fromEntries(SETTING_KEYS.map((key) => {
    const { default: _, ...bounds } = SettingsSchema.properties[key];
    return [key, bounds];
  })) as { [K in SettingKey]: (typeof SettingsSchema.properties)[K] },
), {
  additionalProperties: false,
  description: "Some of the settings. All or nothing: an unknown key or a bad value is a 400 naming it, and nothing is written.",
  examples: [{ access_token_lifetime: 300, refresh_reuse_interval: 10 }],
});

const storedValueChecks: Record<string, { Check(value: unknown): boolean }> = Object.fromEntries(
  SETTING_KEYS.map((key) => [key, TypeCompiler.Compile(SettingsSchema.properties[key])]),
);

/**
 * Reads settings through a short cache, so a change made on another instance arrives within
 * `maxAgeMs` and hot paths do not query the table on every request.
 */
export class SettingsStore {
  private cached?: { settings: Settings; changedAt: Partial<Record<SettingKey, Date>>; loadedAt: number; generation: number };
  private generations = 0;
  private loading?: Promise<Settings>;

  constructor(
    private readonly db: Db,
    private readonly maxAgeMs = 2_000,
  ) {}

  async current(): Promise<Settings> {
    if (this.cached && Date.now() - this.cached.loadedAt < this.maxAgeMs) return this.cached.settings;
    // A failed re-read (the database away) keeps the last settings read: requests then fail or
    // succeed on their own queries, not on one begun before the database came back.
    this.loading ??= this.load()
      .catch((error) => {
        if (this.cached) return this.cached.settings;
        throw error;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Writes a validated change in one statement (all or nothing) and returns the settings after it. */
  /** When a setting last took its current value (undefined: never set, so its default). */
  async changedAt(key: SettingKey): Promise<Date | undefined> {
    await this.current();
    return this.cached?.changedAt[key];
  }

  /** Writes a validated change in one statement (all or nothing) and returns the settings after it. */
  async update(changes: Partial<Settings>, updatedBy: number | null): Promise<Settings> {
    await this.write(changes, updatedBy);
    return this.reload();
  }

  /**
   * Every change made by any instance reaches this one at once: each write notifies
   * SETTINGS_CHANNEL when it commits. The re-read every `maxAgeMs` stays as the fallback.
   */
  async watch(database: Pick<Database, "listen">): Promise<void> {
    await database.listen(SETTINGS_CHANNEL, () => void this.reload().catch(() => {}));
  }

  /** Writes a change, in the caller's transaction if given; `reload()` once it has committed. */
  async write(changes: Partial<Settings>, updatedBy: number | null, executor: Pick<Db, "insert" | "execute"> = this.db): Promise<void> {
    const entries = Object.entries(changes);
    if (!entries.length) return;
    // Delivered to the listening instances when (and only if) the write commits.
    await executor.execute(sql`select pg_notify(${SETTINGS_CHANNEL}, '')`);
    await executor
      .insert(config)
      .values(entries.map(([key, value]) => ({ key, value, updatedBy })))
      .onConflictDoUpdate({
        target: config.key,
        // updated_at moves only when the value does: it is when the setting took its value.
        set: {
          value: sql`excluded.value`,
          updatedBy: sql`excluded.updated_by`,
          updatedAt: sql`case when ${config.value} is distinct from excluded.value then now() else ${config.updatedAt} end`,
        },
      });
  }

  /** Reads the table now, whatever the cache's age. */
  reload(): Promise<Settings> {
    return this.load();
  }

  private async load(): Promise<Settings> {
    // A read that began before an update may finish after it: it must not put old values back.
    const generation = ++this.generations;
    const rows = await this.db.select({ key: config.key, value: config.value, updatedAt: config.updatedAt }).from(config);
    const settings = { ...DEFAULT_SETTINGS };
    const changedAt: Partial<Record<SettingKey, Date>> = {};
    for (const { key, value, updatedAt } of rows) {
      // A row no longer valid (a bound tightened in a later release) falls back to the default.
      if (!storedValueChecks[key]?.Check(value)) continue;
      (settings as Record<string, unknown>)[key] = value;
      changedAt[key as SettingKey] = updatedAt;
    }
    if (!this.cached || generation > this.cached.generation) this.cached = { settings, changedAt, loadedAt: Date.now(), generation };
    return settings;
  }
}
