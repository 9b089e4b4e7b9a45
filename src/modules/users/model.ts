import { t } from "elysia";
import { FormatRegistry } from "elysia/type-system";
import type { Account } from "../../db/schema";
import { trustedResponse } from "../../fast-paths";

/** Field schemas shared by every route that takes or returns a user. */
export const EmailField = t.String({ format: "email", maxLength: 254, examples: ["ada@example.com"] });
export const PasswordField = t.String({ minLength: 8, maxLength: 128, examples: ["correct horse battery"] });

/**
 * Usernames are display names ("John Smith", "Zoë Ω 测试"): any text of at most 150 characters
 * (code points) once trimmed, no control characters; "" means unset. This format is the one
 * place that decides it; `UsernameField` trims what it accepts.
 */
export const USERNAME_MAX_LENGTH = 150;
FormatRegistry.Set("display-name", (value) => {
  const text = value.trim();
  return !/[\u0000-\u001f\u007f]/.test(text) && (text.length <= USERNAME_MAX_LENGTH || [...text].length <= USERNAME_MAX_LENGTH);
});
export const USERNAME_RULE = `Usernames are 1 to ${USERNAME_MAX_LENGTH} characters once trimmed (spaces, accents and any script are fine), no control characters; "" unsets it.`;
export const UsernameField = t
  .Transform(t.String({ format: "display-name", error: USERNAME_RULE, description: USERNAME_RULE, examples: ["John Smith"] }))
  .Decode((username) => username.trim())
  .Encode((username) => username);

export const NameField = t.String({ maxLength: 150, examples: ["Ada"] });

export const PublicUser = trustedResponse(t.Object(
  {
    id: t.Number({ multipleOf: 1 }),
    email: t.String(),
    username: t.String({ description: 'Empty ("") until the user sets one.' }),
    first_name: t.String(),
    last_name: t.String(),
    is_active: t.Boolean(),
    is_staff: t.Boolean(),
    is_superuser: t.Boolean(),
    email_verified: t.Boolean(),
    date_joined: t.String({ format: "date-time" }),
    last_login: t.Nullable(t.String({ format: "date-time" })),
  },
  {
    examples: [
      {
        id: 1,
        email: "ada@example.com",
        username: "",
        first_name: "Ada",
        last_name: "Lovelace",
        is_active: true,
        is_staff: false,
        is_superuser: false,
        email_verified: false,
        date_joined: "2026-01-01T00:00:00.000Z",
        last_login: null,
      },
    ],
  },
));
export type PublicUser = typeof PublicUser.static;

/** The only way a user row leaves the server: no hash, dates as ISO strings. */
export const toPublicUser = (user: Account): PublicUser => ({
  id: user.id,
  email: user.email,
  username: user.username,
  first_name: user.firstName,
  last_name: user.lastName,
  is_active: user.isActive,
  is_staff: user.isStaff,
  is_superuser: user.isSuperuser,
  email_verified: user.emailVerifiedAt !== null,
  date_joined: user.dateJoined.toISOString(),
  last_login: user.lastLogin?.toISOString() ?? null,
});

/** The one form of an email that is stored and looked up: trimmed and lower-cased. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();
