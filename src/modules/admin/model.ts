import { t } from "elysia";
import { PlainText } from "../../input-policy";
import { PageQuery } from "../../pagination";
import { SettingsSchema, SettingsUpdateSchema } from "../../settings";
import { SessionsModel } from "../sessions/model";
import { EmailField, PasswordField, ProfileFields, ProfileUpdate, PublicUser, UsernameField } from "../users/model";

const flags = {
  is_active: t.Optional(t.Boolean()),
  is_staff: t.Optional(t.Boolean({ description: "May read the admin API and zone." })),
  is_superuser: t.Optional(t.Boolean({ description: "May change users and settings." })),
  email_verified: t.Optional(t.Boolean()),
};

export const AdminModel = {
  settings: SettingsSchema,
  settingsUpdate: SettingsUpdateSchema,
  userParams: t.Object({ id: t.String({ description: "A user id." }) }),
  usersQuery: t.Object({
    query: t.Optional(PlainText({ maxLength: 254, description: "Part of an email, username, first or last name, in any letter case." })),
    ...PageQuery,
  }),
  userList: t.Object({ count: t.Number({ multipleOf: 1, description: "All matches, past this page too." }), results: t.Array(PublicUser) }),
  createUser: t.Object(
    {
      email: EmailField,
      password: PasswordField,
      username: t.Optional(UsernameField),
      first_name: t.Optional(ProfileFields.first_name),
      last_name: t.Optional(ProfileFields.last_name),
      ...flags,
    },
    { examples: [{ email: "staff@example.com", password: "a long password", is_staff: true }] },
  ),
  updateUser: t.Object(
    {
      email: t.Optional(EmailField),
      password: t.Optional(PasswordField),
      ...ProfileUpdate.properties,
      ...flags,
    },
    { examples: [{ is_active: false }, { password: "a new long password" }, { email_verified: true }] },
  ),
  userSessions: t.Array(t.Omit(SessionsModel.session, ["current"])),
  lockout: t.Object(
    {
      locked_until: t.Nullable(t.String({ format: "date-time", description: "Until when logins are refused (429), from everywhere or from one network; null when they are not." })),
      failures: t.Number({ multipleOf: 1, description: "Failed logins across all networks in the current window." }),
      networks_with_failures: t.Number({ multipleOf: 1, description: "Networks (IPv4 addresses, IPv6 /64s) with failed logins in the current window." }),
    },
    { examples: [{ locked_until: "2026-01-01T00:15:00.000Z", failures: 50, networks_with_failures: 12 }] },
  ),
  auditQuery: t.Object(PageQuery),
  page: t.Object(PageQuery),
  auditList: t.Object({
    count: t.Number({ multipleOf: 1 }),
    results: t.Array(
      t.Object({
        id: t.Number({ multipleOf: 1 }),
        at: t.String({ format: "date-time" }),
        actor_id: t.Nullable(t.Number({ multipleOf: 1 })),
        action: t.String({ examples: ["user.update"] }),
        target: t.String({ examples: ["user:42"] }),
        before: t.Nullable(t.Record(t.String(), t.Unknown())),
        after: t.Nullable(t.Record(t.String(), t.Unknown())),
        ip: t.Nullable(t.String()),
      }),
    ),
  }),
};
