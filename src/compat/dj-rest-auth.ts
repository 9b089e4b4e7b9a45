import { Elysia, t } from "elysia";
import type { AppContext } from "../context";
import type { Account } from "../db/schema";
import { ApiError, errorResponses, validationError } from "../errors";
import { authGuard, authenticateAccessToken } from "../guard";
import { decodeUid } from "../mail/outbox";
import { EmailField, NameField, PasswordField, UsernameField, normalizeBodyEmail } from "../modules/users/model";
import { CredentialsBody, RefreshBody, SimpleJwtPair, credentialsAccount, simpleJwtPair } from "./shared";

const TAG = "compat: dj-rest-auth";

/** dj-rest-auth's user serializer. */
const DjUser = t.Object({ pk: t.Number({ multipleOf: 1 }), username: t.String(), email: t.String(), first_name: t.String(), last_name: t.String() });
const toDjUser = (user: Pick<Account, "id" | "username" | "email" | "firstName" | "lastName">) => ({
  pk: user.id,
  username: user.username,
  email: user.email,
  first_name: user.firstName,
  last_name: user.lastName,
});
const Detail = t.Object({ detail: t.String() });

/** dj-rest-auth's rule: the two copies of a new password must match, named by the second. */
function matchingPasswords(first: string, second: string, secondField: string): string {
  if (first !== second) throw validationError({ [secondField]: ["The two password fields didn’t match."] });
  return first;
}

/** Seed 002's dj-rest-auth routes (JWT mode) under /dj-rest-auth/, over authd's services. */
export const djRestAuthRoutes = (context: AppContext) => {
  const { auth, users, password, emailVerification, settings, sessions, accessTokens, clientOf: client } = context;
  const updateUser = async ({ user, body }: { user: Account; body: { username?: string; first_name?: string; last_name?: string } }) =>
    toDjUser(await users.updateProfile(user.id, body));
  const userUpdate = {
    auth: true,
    body: t.Object(
      { username: t.Optional(UsernameField), first_name: t.Optional(NameField), last_name: t.Optional(NameField) },
      { description: "`email` (and any other field) is read-only here and ignored." },
    ),
    response: { 200: DjUser, ...errorResponses(400, 401, 409) },
  } as const;

  return new Elysia({ prefix: "/dj-rest-auth", tags: [TAG] })
    .use(authGuard(context))
    .post(
      "/login/",
      async ({ body, request, server }) => {
        const pair = await auth.login(credentialsAccount(body), body.password, client(request, server));
        const claims = await accessTokens.verify(pair.access_token);
        const user = await users.findById(claims!.user_id);
        return { ...simpleJwtPair(pair), user: toDjUser(user!) };
      },
      {
        body: CredentialsBody,
        response: { 200: t.Object({ access: t.String(), refresh: t.String(), user: DjUser }), ...errorResponses(400, 401, 403, 429) },
        detail: { summary: "Log in (dj-rest-auth, JWT mode)", tags: [TAG] },
      },
    )
    .post(
      "/logout/",
      async ({ body, request }) => {
        if (body.refresh !== undefined) await auth.logout(body.refresh);
        else {
          const token = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
          const authenticated = token ? await authenticateAccessToken(context, token) : null;
          if (!authenticated) throw new ApiError("not_authenticated", "Refresh token was not included in request data.");
          await sessions.revoke(authenticated.sessionId);
        }
        return { detail: "Successfully logged out." };
      },
      {
        body: t.Object({ refresh: t.Optional(t.String({ minLength: 1, maxLength: 256 })) }),
        response: { 200: Detail, ...errorResponses(400, 401) },
        detail: { summary: "Log out: revoke the session of the refresh token (or of the Bearer token)", tags: [TAG] },
      },
    )
    .post(
      "/password/reset/",
      async ({ body, request, server }) => {
        await password.requestReset(body.email, client(request, server));
        return { detail: "Password reset e-mail has been sent." };
      },
      {
        transform: normalizeBodyEmail,
        body: t.Object({ email: EmailField }),
        response: { 200: Detail, ...errorResponses(400, 429) },
        detail: { summary: "Ask for a reset mail (always 200); the mail gives `uid` and `token`", tags: [TAG] },
      },
    )
    .post(
      "/password/reset/confirm/",
      async ({ body }) => {
        const newPassword = matchingPasswords(body.new_password1, body.new_password2, "new_password2");
        const userId = decodeUid(body.uid);
        if (userId === undefined) throw validationError({ uid: ["Invalid value"] });
        await password.confirmReset(body.token, newPassword, "new_password1", userId);
        return { detail: "Password has been reset with the new password." };
      },
      {
        body: t.Object({
          uid: t.String({ minLength: 1, maxLength: 64 }),
          token: t.String({ minLength: 1, maxLength: 256 }),
          new_password1: PasswordField,
          new_password2: t.String({ minLength: 1, maxLength: 128 }),
        }),
        response: { 200: Detail, ...errorResponses(400) },
        detail: { summary: "Set a new password with the mailed uid and token", tags: [TAG] },
      },
    )
    .post(
      "/password/change/",
      async ({ user, sessionId, body }) => {
        const newPassword = matchingPasswords(body.new_password1, body.new_password2, "new_password2");
        await password.change(user, sessionId, body.old_password, newPassword);
        return { detail: "New password has been saved." };
      },
      {
        auth: true,
        body: t.Object({
          old_password: t.String({ minLength: 1, maxLength: 128 }),
          new_password1: PasswordField,
          new_password2: t.String({ minLength: 1, maxLength: 128 }),
        }),
        response: { 200: Detail, ...errorResponses(400, 401) },
        detail: { summary: "Change the password (other sessions end)", tags: [TAG] },
      },
    )
    .get("/user/", ({ user }) => toDjUser(user), {
      auth: true,
      response: { 200: DjUser, ...errorResponses(401) },
      detail: { summary: "The current user (dj-rest-auth)", tags: [TAG] },
    })
    .put("/user/", updateUser, { ...userUpdate, detail: { summary: "Change the current user (email read-only)", tags: [TAG] } })
    .patch("/user/", updateUser, { ...userUpdate, detail: { summary: "Change some of the current user (email read-only)", tags: [TAG] } })
    .post(
      "/token/verify/",
      async ({ body }) => {
        if (!(await authenticateAccessToken(context, body.token))) throw new ApiError("token_not_valid", "Token is invalid or expired");
        return {};
      },
      {
        body: t.Object({ token: t.String({ minLength: 1, maxLength: 4096 }) }),
        response: { 200: t.Object({}), ...errorResponses(400, 401) },
        detail: { summary: "Check an access token", tags: [TAG] },
      },
    )
    .post("/token/refresh/", async ({ body }) => simpleJwtPair(await auth.refresh(body.refresh)), {
      body: RefreshBody,
      response: { 200: SimpleJwtPair, ...errorResponses(400, 401) },
      detail: { summary: "Rotate a refresh token", tags: [TAG] },
    })
    .post(
      "/registration/",
      async ({ body, set, request, server }) => {
        const newPassword = matchingPasswords(body.password1, body.password2, "password2");
        const user = await auth.register({ email: body.email, password: newPassword, username: body.username }, client(request, server));
        set.status = 201;
        if ((await settings.current()).require_email_verification) return { detail: "Verification e-mail sent." };
        const pair = await auth.login({ email: user.email }, newPassword, client(request, server));
        return { ...simpleJwtPair(pair), user: toDjUser(user) };
      },
      {
        transform: normalizeBodyEmail,
        body: t.Object({
          username: t.Optional(UsernameField),
          email: EmailField,
          password1: PasswordField,
          password2: t.String({ minLength: 1, maxLength: 128 }),
        }),
        response: {
          201: t.Union([t.Object({ access: t.String(), refresh: t.String(), user: DjUser }), Detail]),
          ...errorResponses(400, 409, 429),
        },
        detail: { summary: "Create an account and log in (or, with verification required, mail the link)", tags: [TAG] },
      },
    )
    .post(
      "/registration/verify-email/",
      async ({ body }) => {
        await emailVerification.verify(body.key);
        return { detail: "ok" };
      },
      {
        body: t.Object({ key: t.String({ minLength: 1, maxLength: 256, description: "The token of the verification mail." }) }),
        response: { 200: Detail, ...errorResponses(400) },
        detail: { summary: "Verify an email address", tags: [TAG] },
      },
    )
    .post(
      "/registration/resend-email/",
      async ({ body, request, server }) => {
        await password.requestVerification(body.email, client(request, server));
        return { detail: "ok" };
      },
      {
        transform: normalizeBodyEmail,
        body: t.Object({ email: EmailField }),
        response: { 200: Detail, ...errorResponses(400, 429) },
        detail: { summary: "Mail a new verification link (always 200)", tags: [TAG] },
      },
    );
};
