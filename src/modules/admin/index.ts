import type { Server } from "bun";
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import type { Account } from "../../db/schema";
import { ApiError, errorResponses, rejectUnknownFields } from "../../errors";
import { authGuard } from "../../guard";
import { TOTAL_COUNT_HEADER, pageOf } from "../../pagination";
import { toSessionView } from "../sessions/model";
import { PublicUser, checkMetadata, normalizeBodyEmail, toPublicUser } from "../users/model";
import { AdminModel } from "./model";

/** A user id from the path: anything but a positive integer names no user (404). */
export function userIdOf(params: { id: string }): number {
  const id = Number(params.id);
  if (!/^\d{1,10}$/.test(params.id) || !Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647)
    throw new ApiError("not_found", "User not found.");
  return id;
}

type Hook = { user: Account; request: Request; server: Server<unknown> | null; set: { status?: unknown } };

/**
 * The user-management handlers and the change route's schema, shared by /api/admin/users/
 * and seed 001's /api/v1/account/management/ (src/compat/v1.ts).
 */
export function userManagement({ admin, clientOf }: Pick<AppContext, "admin" | "clientOf">) {
  const actorOf = ({ user, request, server }: Hook) => ({ id: user.id, ip: clientOf(request, server).ip });
  return {
    actorOf,
    create: async (hook: Hook & { body: typeof AdminModel.createUser.static }) => {
      const user = await admin.createUser(hook.body, actorOf(hook));
      hook.set.status = 201;
      return toPublicUser(user);
    },
    read: async ({ params }: { params: { id: string } }) => toPublicUser(await admin.getUser(userIdOf(params))),
    update: async (hook: Hook & { params: { id: string }; body: typeof AdminModel.updateUser.static }) =>
      toPublicUser(await admin.updateUser(userIdOf(hook.params), hook.body, actorOf(hook))),
    remove: async (hook: Hook & { params: { id: string } }) => {
      await admin.deleteUser(userIdOf(hook.params), actorOf(hook));
      hook.set.status = 204;
    },
    /** The options of a change route (PUT/PATCH), minus its docs. */
    updateOptions: {
      role: "superuser",
      params: AdminModel.userParams,
      transform: (hook: { body: unknown }) => {
        normalizeBodyEmail(hook);
        checkMetadata(hook);
      },
      body: AdminModel.updateUser,
      response: { 200: PublicUser, ...errorResponses(400, 401, 403, 404, 409) },
    } as const,
  };
}

/** Staff read, superusers change: runtime settings, users, their sessions, the audit log. */
export const adminModule = (context: AppContext) => {
  const { admin, audit } = context;
  const users = userManagement(context);
  const { actorOf } = users;

  const settingsChange = {
    role: "superuser",
    transform: rejectUnknownFields(AdminModel.settingsUpdate),
    body: AdminModel.settingsUpdate,
    response: { 200: AdminModel.settings, ...errorResponses(400, 401, 403) },
  } as const;
  const settingsChangeDetail = {
    tags: ["admin"],
    description:
      "Send some of the settings. All or nothing: one unknown key or bad value is a 400 naming it, and nothing is written. Takes effect for the next token issued, on every instance within a few seconds. Audited.",
  };

  return new Elysia({ prefix: "/api/admin", tags: ["admin"] })
    .use(authGuard(context))
    .get("/config/", () => context.settings.current(), {
      role: "superuser",
      response: { 200: AdminModel.settings, ...errorResponses(401, 403) },
      detail: { summary: "Read the runtime settings", tags: ["admin"] },
    })
    .put("/config/", (hook) => admin.updateSettings(hook.body, actorOf(hook)), {
      ...settingsChange,
      detail: { summary: "Change runtime settings", ...settingsChangeDetail },
    })
    .patch("/config/", (hook) => admin.updateSettings(hook.body, actorOf(hook)), {
      ...settingsChange,
      detail: { summary: "Change some runtime settings", ...settingsChangeDetail },
    })
    .get(
      "/users/",
      async ({ query }) => {
        const { count, results } = await admin.listUsers(query.query ?? "", pageOf(query));
        return { count, results: results.map(toPublicUser) };
      },
      {
        role: "staff",
        query: AdminModel.usersQuery,
        response: { 200: AdminModel.userList, ...errorResponses(400, 401, 403) },
        detail: {
          summary: "List and search users",
          description: "`{count, results}` ordered by id. `query` matches email, username, first or last name in any letter case; `limit` 1–500 (default 50), `offset` ≥ 0.",
          tags: ["admin"],
        },
      },
    )
    .post(
      "/users/",
      users.create,
      {
        role: "superuser",
        transform: normalizeBodyEmail,
        body: AdminModel.createUser,
        response: { 201: PublicUser, ...errorResponses(400, 401, 403, 409) },
        detail: { summary: "Create a user (flags settable)", description: "Password rules as at registration. Audited.", tags: ["admin"] },
      },
    )
    .get("/users/:id/", users.read, {
      role: "staff",
      params: AdminModel.userParams,
      response: { 200: PublicUser, ...errorResponses(401, 403, 404) },
      detail: { summary: "One user", tags: ["admin"] },
    })
    .patch("/users/:id/", users.update, {
      ...users.updateOptions,
      detail: {
        summary: "Change a user: fields, password, flags, email_verified",
        description:
          "Deactivation and a new password end the user's sessions at once. The last active superuser cannot be deactivated or demoted (409 `last_superuser`). A taken email or username is 409. Audited.",
        tags: ["admin"],
      },
    })
    .put("/users/:id/", users.update, {
      ...users.updateOptions,
      detail: { summary: "Change a user (same as PATCH)", tags: ["admin"] },
    })
    .delete(
      "/users/:id/",
      users.remove,
      {
        role: "superuser",
        params: AdminModel.userParams,
        response: errorResponses(401, 403, 404, 409),
        detail: {
          summary: "Delete a user",
          description: "Their tokens stop working at once. Never the last active superuser (409). Audited.",
          tags: ["admin"],
          responses: { 204: { description: "Deleted." } },
        },
      },
    )
    .get(
      "/users/:id/sessions/",
      async ({ params, query, set }) => {
        const { total, sessions } = await admin.userSessions(userIdOf(params), pageOf(query));
        set.headers[TOTAL_COUNT_HEADER] = String(total);
        return sessions.map(toSessionView);
      },
      {
        role: "staff",
        params: AdminModel.userParams,
        query: AdminModel.page,
        response: { 200: AdminModel.userSessions, ...errorResponses(400, 401, 403, 404) },
        detail: {
          summary: "A user's live sessions",
          description: "Most recently used first, `limit` (1–500, default 50) from `offset`; the number of all in `X-Total-Count`.",
          tags: ["admin"],
        },
      },
    )
    .delete(
      "/users/:id/sessions/",
      async (hook) => {
        await admin.revokeUserSessions(userIdOf(hook.params), actorOf(hook));
        hook.set.status = 204;
      },
      {
        role: "superuser",
        params: AdminModel.userParams,
        response: errorResponses(401, 403, 404),
        detail: {
          summary: "Revoke every session of a user",
          description: "Their tokens stop working at once. Audited.",
          tags: ["admin"],
          responses: { 204: { description: "Revoked." } },
        },
      },
    )
    .get("/users/:id/lockout/", ({ params }) => admin.lockout(userIdOf(params)), {
      role: "staff",
      params: AdminModel.userParams,
      response: { 200: AdminModel.lockout, ...errorResponses(401, 403, 404) },
      detail: {
        summary: "A user's login lock-out",
        description: "Failed logins counted against the account, and until when logins are refused, if they are.",
        tags: ["admin"],
      },
    })
    .delete(
      "/users/:id/lockout/",
      async (hook) => {
        await admin.liftLockout(userIdOf(hook.params), actorOf(hook));
        hook.set.status = 204;
      },
      {
        role: "superuser",
        params: AdminModel.userParams,
        response: errorResponses(401, 403, 404),
        detail: {
          summary: "Lift a user's login lock-out",
          description: "Clears the account's failed-login counts from every network, and the record of earlier lock-outs (the next one starts short again). Audited.",
          tags: ["admin"],
          responses: { 204: { description: "Lifted (or nothing to lift)." } },
        },
      },
    )
    .get(
      "/audit/",
      async ({ query }) => {
        const { count, results } = await audit.list(pageOf(query));
        return {
          count,
          results: results.map((entry) => ({
            id: entry.id,
            at: entry.at.toISOString(),
            actor_id: entry.actorId,
            action: entry.action,
            target: entry.target,
            before: entry.before ?? null,
            after: entry.after ?? null,
            ip: entry.ip,
          })),
        };
      },
      {
        role: "staff",
        query: AdminModel.auditQuery,
        response: { 200: AdminModel.auditList, ...errorResponses(400, 401, 403) },
        detail: {
          summary: "The audit log, newest first",
          description: "Every admin write and settings change: who, what, on what, before and after (never a password hash or token), from which IP.",
          tags: ["admin"],
        },
      },
    );
};
