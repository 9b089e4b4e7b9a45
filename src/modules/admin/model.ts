import { t } from "elysia";
import { DEFAULT_SETTINGS, SETTING_DEFINITIONS } from "../../settings";

/** The runtime settings as an Elysia schema, derived from their one definition in settings.ts. */
const Settings = t.Object(
  Object.fromEntries(
    Object.entries(SETTING_DEFINITIONS).map(([key, { default: fallback, minimum, maximum, description }]) => [
      key,
      typeof fallback === "boolean"
        ? t.Boolean({ description, default: fallback })
        : t.Number({ multipleOf: 1, minimum, maximum, description, default: fallback }),
    ]),
  ),
  { examples: [DEFAULT_SETTINGS] },
);

export const AdminModel = {
  settings: Settings,
  // Checked by `parseSettingsUpdate` (typebox), which names every unknown key and bad value.
  settingsUpdate: t.Record(t.String(), t.Unknown(), {
    description: `Some of the settings (${Object.keys(SETTING_DEFINITIONS).join(", ")}); see the response schema for types and bounds.`,
    examples: [{ access_token_lifetime: 300, refresh_reuse_interval: 10 }],
  }),
};
