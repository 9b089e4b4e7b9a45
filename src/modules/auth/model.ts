import { t } from "elysia";
import { EmailField, NameField, PasswordField, UsernameField } from "../users/model";

const RefreshTokenField = t.String({
  minLength: 1,
  maxLength: 256,
  description: "The opaque refresh token from login or the last refresh.",
  examples: ["9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"],
});

export const AuthModel = {
  register: t.Object({
    email: EmailField,
    password: PasswordField,
    username: t.Optional(UsernameField),
    first_name: t.Optional(NameField),
    last_name: t.Optional(NameField),
  }),
  login: t.Object(
    {
      // Any string: a malformed email or unknown username simply matches no account.
      email: t.Optional(t.String({ minLength: 1, maxLength: 254, examples: ["ada@example.com"] })),
      username: t.Optional(
        t.String({ minLength: 1, maxLength: 1024, description: "Instead of `email` (clients of seeds 001/004): matched in any letter case." }),
      ),
      password: t.String({ minLength: 1, maxLength: 128, examples: ["correct horse battery"] }),
    },
    {
      description: "`email` or `username`, and `password`. With both, `email` is used.",
      examples: [{ email: "user@example.com", password: "password" }, { username: "John Smith", password: "password" }],
    },
  ),
  refresh: t.Object({ refresh_token: RefreshTokenField }),
  tokenPair: t.Object(
    {
      access_token: t.String({ description: "HS256 JWT; send as `Authorization: Bearer <token>`." }),
      refresh_token: t.String({ description: "Opaque, single use: each refresh returns a new one." }),
      token_type: t.Literal("Bearer"),
      expires_in: t.Number({ multipleOf: 1, description: "Seconds until the access token expires." }),
    },
    {
      examples: [
        {
          access_token: "eyJhbGciOiJIUzI1NiIsImtpZCI6IjU1YTNkN2NlZjM0MWIxZjgiLCJ0eXAiOiJKV1QifQ.e30.sig",
          refresh_token: "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
          token_type: "Bearer",
          expires_in: 30,
        },
      ],
    },
  ),
  loggedOut: t.Object({ success: t.String({ examples: ["User logged out."] }) }),
  verify: t.Object({ token: t.String({ minLength: 1, maxLength: 4096, description: "An access token." }) }),
  verified: t.Object({}, { description: "An empty object: the token is valid." }),
  ping: t.Object({
    name: t.String({ examples: ["authd"] }),
    api_version: t.String({ examples: ["1"] }),
    message: t.String({ examples: ["Authenticated as ada@example.com."] }),
  }),
};
