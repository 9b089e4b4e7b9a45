import { t } from "elysia";
import { PageQuery } from "../../pagination";

export const SessionsModel = {
  session: t.Object({
    id: t.String({ format: "uuid" }),
    created_at: t.String({ format: "date-time" }),
    last_used_at: t.String({ format: "date-time", description: "Last login or token refresh of this session." }),
    user_agent: t.String(),
    ip: t.Nullable(t.String()),
    current: t.Boolean({ description: "True for the session of the access token making this request." }),
  }),
  params: t.Object({ id: t.String({ description: "A session id from GET /api/sessions/." }) }),
  page: t.Object(PageQuery),
  loggedOutAll: t.Object({
    success: t.String({ examples: ["Logged out of all sessions."] }),
    revoked: t.Number({ multipleOf: 1, description: "How many sessions were revoked." }),
  }),
};
export const SessionList = t.Array(SessionsModel.session);

/** A session as the API shows it (the owner's list adds `current`). */
export const toSessionView = (session: { id: string; createdAt: Date; lastUsedAt: Date; userAgent: string; ip: string | null }) => ({
  id: session.id,
  created_at: session.createdAt.toISOString(),
  last_used_at: session.lastUsedAt.toISOString(),
  user_agent: session.userAgent,
  ip: session.ip,
});
