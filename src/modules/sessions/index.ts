import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { ApiError, errorResponses } from "../../errors";
import { authGuard } from "../../guard";
import { TOTAL_COUNT_HEADER, pageOf } from "../../pagination";
import { SessionList, SessionsModel, toSessionView } from "./model";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const sessionsModule = (context: AppContext) => {
  const { sessions } = context;
  return new Elysia({ prefix: "/api", tags: ["sessions"] })
    .use(authGuard(context))
    .get(
      "/sessions/",
      async ({ user, sessionId, query, set }) => {
        const { total, sessions: open } = await sessions.listOpen(user.id, pageOf(query));
        set.headers[TOTAL_COUNT_HEADER] = String(total);
        return open.map((session) => ({ ...toSessionView(session), current: session.id === sessionId }));
      },
      {
        auth: true,
        query: SessionsModel.page,
        response: { 200: SessionList, ...errorResponses(400, 401) },
        detail: {
          summary: "The current user's live sessions (devices)",
          description: "Most recently used first, `limit` (1–500, default 50) from `offset`; the number of all in `X-Total-Count`.",
          tags: ["sessions"],
        },
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
