import { t } from "elysia";
import { settingsJsonSchema } from "../../settings";

export const AdminModel = {
  // Settings are validated by `parseSettingsUpdate` (typebox), which names each bad key;
  // this route schema only requires a JSON object, the OpenAPI entries show the real one.
  settingsUpdate: t.Record(t.String(), t.Unknown()),
  settings: t.Record(t.String(), t.Union([t.Number({ multipleOf: 1 }), t.Boolean()])),
  settingsUpdateDoc: {
    required: true,
    content: { "application/json": { schema: settingsJsonSchema(true) } },
  },
  settingsDoc: {
    description: "Every runtime setting, as a flat object.",
    content: { "application/json": { schema: settingsJsonSchema(false) } },
  },
};
