import { t } from "elysia";
import { validationError } from "../errors";
import type { AccountIdentifier, TokenPair } from "../modules/auth/service";

/** The pair as Django REST Framework SimpleJWT names it. */
export const SimpleJwtPair = t.Object(
  {
    access: t.String({ description: "The access JWT (send as `Authorization: Bearer …`)." }),
    refresh: t.String({ description: "The refresh token: single use, each refresh returns a new one." }),
  },
  { examples: [{ access: "eyJhbGciOiJIUzI1NiIs…", refresh: "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" }] },
);

export const simpleJwtPair = (pair: TokenPair) => ({ access: pair.access_token, refresh: pair.refresh_token });

/** `{username or email, password}`, as SimpleJWT's obtain view and dj-rest-auth's login take it. */
export const CredentialsBody = t.Object(
  {
    username: t.Optional(t.String({ minLength: 1, maxLength: 1024, description: "A username (any letter case), or an email." })),
    email: t.Optional(t.String({ minLength: 1, maxLength: 254 })),
    password: t.String({ minLength: 1, maxLength: 128 }),
  },
  { examples: [{ username: "john", password: "password" }, { email: "user@example.com", password: "password" }] },
);

export const RefreshBody = t.Object({ refresh: t.String({ minLength: 1, maxLength: 256 }) }, { examples: [{ refresh: "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" }] });

/**
 * Which account the credentials name. Django clients often send an email as `username` (with
 * USERNAME_FIELD = "email"): a `username` containing "@" is taken as an email.
 */
export function credentialsAccount(body: { username?: string; email?: string }): AccountIdentifier {
  if (body.email !== undefined) return { email: body.email };
  if (body.username !== undefined) return body.username.includes("@") ? { email: body.username } : { username: body.username };
  throw validationError({ username: ["Give a username or an email to log in with."] });
}
