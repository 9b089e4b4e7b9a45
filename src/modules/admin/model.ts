import { SettingsSchema, SettingsUpdateSchema } from "../../settings";

export const AdminModel = {
  settings: SettingsSchema,
  settingsUpdate: SettingsUpdateSchema,
};
