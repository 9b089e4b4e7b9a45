import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { ApiError, errorResponses, validationError } from "../../errors";
import { authGuard, authenticateAccessToken } from "../../guard";
import { PublicUser, normalizeBodyEmail, toPublicUser } from "../users/model";
import { type AccountIdentifier } from "./service";
import { AuthModel } from "./model";

/** Which account a login names: its email, else its username; neither is a 400. */
export function loginIdentifier(body: { email?: string; username?: string }): AccountIdentifier {
  if (body.email !== undefined) return { email: body.email };
  if (body.username !== undefined) return { username: body.username };
  throw validationError({ email: ["Give an email (or a username) to log in with."] });
}

export const authModule = (context: AppContext) => {
  const { auth, clientOf } = context;
  return new Elysia({ prefix: "/api", tags: ["auth"] })
    .use(authGuard(context))
    .get(
      "/",
      ({ user }) => ({ name: "authd", api_version: "1", message: `Authenticated as ${user.email}.` }),
      {
        auth: true,
        response: { 200: AuthModel.ping, ...errorResponses(401) },
        detail: { summary: "Ping: check an access token against the API", tags: ["auth"] },
      },
    )
    .post(
      "/register/",
      async ({ body, set, request, server }) => {
        const user = await auth.register(body, clientOf(request, server));
        set.status = 201;
        return toPublicUser(user);
      },
      {
        // Normalised before validation, so " Ada@Example.COM " is accepted as ada@example.com.
        transform: normalizeBodyEmail,
        body: AuthModel.register,
        response: { 201: PublicUser, ...errorResponses(400, 409, 413, 415, 429) },
        detail: {
          summary: "Create an account",
          description:
            "Mails a verification link when SMTP is set up or `require_email_verification` is on. At most `register_rate_limit` registrations per IP an hour (429 with Retry-After past it).",
          tags: ["auth"],
        },
      },
    )
    .post(
      "/login/",
      ({ body, request, server }) => {
        const account = loginIdentifier(body);
        return auth.login(account, body.password, clientOf(request, server));
      },
      {
        body: AuthModel.login,
        response: { 200: AuthModel.tokenPair, ...errorResponses(400, 401, 403, 429) },
        detail: { summary: "Log in: start a session and get a token pair", tags: ["auth"] },
      },
    )
    .post("/refresh/", ({ body }) => auth.refresh(body.refresh_token), {
      body: AuthModel.refresh,
      response: { 200: AuthModel.tokenPair, ...errorResponses(400, 401) },
      detail: {
        summary: "Rotate a refresh token",
        description:
          "Returns a new token pair and marks the presented refresh token used. Presenting a used token again revokes the whole session (401 `token_reused`).",
        tags: ["auth"],
      },
    })
    .post(
      "/logout/",
      async ({ body }) => {
        await auth.logout(body.refresh_token);
        return { success: "User logged out." };
      },
      {
        body: AuthModel.refresh,
        response: { 200: AuthModel.loggedOut, ...errorResponses(400, 401) },
        detail: { summary: "Log out: revoke the session of a refresh token", tags: ["auth"] },
      },
    )
    .post(
      "/token/verify/",
      async ({ body }) => {
        if (!(await authenticateAccessToken(context, body.token)))
          throw new ApiError("token_not_valid", "Token is invalid or expired.");
        return {};
      },
      {
        body: AuthModel.verify,
        response: { 200: AuthModel.verified, ...errorResponses(400, 401) },
        detail: {
          summary: "Check an access token",
          description: "200 `{}` when the token is valid (signature, expiry, live session, active user); 401 `token_not_valid` otherwise.",
          tags: ["auth"],
        },
      },
    );
};
