import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses, validationError } from "../../errors";
import { authGuard } from "../../guard";
import { normalizeBodyEmail } from "../users/model";
import { PasswordModel } from "./model";

export const passwordModule = (context: AppContext) =>
  new Elysia({ prefix: "/api/password", tags: ["password"] })
    .use(authGuard(context))
    .post(
      "/change/",
      async ({ user, sessionId, body }) => ({
        success: "Password changed.",
        revoked: await context.password.change(user, sessionId, body.old_password, body.new_password),
      }),
      {
        auth: true,
        body: PasswordModel.change,
        response: { 200: PasswordModel.changed, ...errorResponses(400, 401) },
        detail: {
          summary: "Change the current user's password",
          description: "Checks the old password; every other session of the user is revoked, this one stays.",
          tags: ["password"],
        },
      },
    )
    .post(
      "/reset/",
      async ({ body, request, server }) => {
        await context.password.requestReset(body.email, context.clientOf(request, server));
        return { status: "OK" as const };
      },
      {
        // Normalised before validation, as registration does.
        transform: normalizeBodyEmail,
        body: PasswordModel.reset,
        response: { 200: PasswordModel.status, ...errorResponses(400, 429) },
        detail: {
          summary: "Ask for a password-reset mail",
          description:
            "Always 200 `{status: \"OK\"}`, whether or not the account exists. An active account with that email (any letter case) gets a mail with a single-use token and a link; a newer token ends the older ones. Limited per IP and per email (`password_reset_rate_limit` an hour): 429 with Retry-After past it.",
          tags: ["password"],
        },
      },
    )
    .post(
      "/reset/confirm/",
      async ({ body }) => {
        const newPassword = body.new_password ?? body.password;
        if (newPassword === undefined) throw validationError({ new_password: ["This field is required."] });
        await context.password.confirmReset(body.token, newPassword, body.new_password !== undefined ? "new_password" : "password");
        return { status: "OK" as const };
      },
      {
        body: PasswordModel.resetConfirm,
        response: { 200: PasswordModel.status, ...errorResponses(400) },
        detail: {
          summary: "Set a new password with the mailed token",
          description:
            "Sets the password, spends the token and revokes every session of the user (log in again). A used, expired or unknown token is 400 naming `token`.",
          tags: ["password"],
        },
      },
    );
