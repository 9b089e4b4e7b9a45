import { t } from "elysia";

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
  loggedOutAll: t.Object({
    success: t.String({ examples: ["Logged out of all sessions."] }),
    revoked: t.Number({ multipleOf: 1, description: "How many sessions were revoked." }),
  }),
};
export const SessionList = t.Array(SessionsModel.session);
