import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../errors";
import { authGuard } from "../../guard";
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
    );
