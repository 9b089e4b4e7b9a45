import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../errors";
import { authGuard } from "../../guard";
import { EmailModel } from "./model";

export const emailModule = (context: AppContext) =>
  new Elysia({ prefix: "/api/email", tags: ["email"] })
    .use(authGuard(context))
    .post(
      "/verify/",
      async ({ body }) => {
        await context.emailVerification.verify(body.token);
        return { status: "OK" as const };
      },
      {
        body: EmailModel.verify,
        response: { 200: EmailModel.status, ...errorResponses(400) },
        detail: {
          summary: "Verify an email address with the mailed token",
          description: "A used, expired (after 3 days) or unknown token is 400 naming `token`.",
          tags: ["email"],
        },
      },
    )
    .post(
      "/verify/resend/",
      async ({ user }) => {
        await context.emailVerification.resend(user);
        return { status: "OK" as const };
      },
      {
        auth: true,
        response: { 200: EmailModel.status, ...errorResponses(401, 429) },
        detail: {
          summary: "Mail a new verification link to the current user",
          description: "Ends the earlier links. Nothing is sent when the address is already verified. At most 5 an hour.",
          tags: ["email"],
        },
      },
    );
