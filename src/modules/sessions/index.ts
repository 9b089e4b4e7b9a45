import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { ApiError, errorResponses } from "../../errors";
import { authGuard } from "../../guard";
import { SessionList, SessionsModel } from "./model";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const sessionsModule = (context: AppContext) => {
  const { sessions } = context;
  return new Elysia({ prefix: "/api", tags: ["sessions"] })
    .use(authGuard(context))
    .get(
      "/sessions/",
      async ({ user, sessionId }) =>
        (await sessions.listOpen(user.id)).map((session) => ({
          id: session.id,
          created_at: session.createdAt.toISOString(),
          last_used_at: session.lastUsedAt.toISOString(),
          user_agent: session.userAgent,
          ip: session.ip,
          current: session.id === sessionId,
        })),
      {
        auth: true,
        response: { 200: SessionList, ...errorResponses(401) },
        detail: { summary: "The current user's live sessions (devices)", tags: ["sessions"] },
      },
    )
    .delete(
      "/sessions/:id/",
      async ({ user, params, set }) => {
        // Someone else's session, a revoked one, or no such id: all the same 404.
        if (!UUID.test(params.id) || !(await sessions.revokeOwn(user.id, params.id)))
          throw new ApiError("not_found", "Session not found.");
        set.status = 204;
      },
      {
        auth: true,
        params: SessionsModel.params,
        response: errorResponses(401, 404),
        detail: {
          summary: "Revoke one of the current user's sessions",
          tags: ["sessions"],
          responses: { 204: { description: "Revoked: its tokens stop working at once." } },
        },
      },
    )
    .post(
      "/logout-all/",
      async ({ user }) => ({ success: "Logged out of all sessions.", revoked: await sessions.revokeAllOf(user.id) }),
      {
        auth: true,
        response: { 200: SessionsModel.loggedOutAll, ...errorResponses(401) },
        detail: { summary: "Revoke every session of the current user, this one included", tags: ["sessions"] },
      },
    );
};
