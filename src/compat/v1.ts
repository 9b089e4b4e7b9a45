import { Elysia, t } from "elysia";
import type { AppContext } from "../context";
import { errorResponses } from "../errors";
import { authGuard } from "../guard";
import { TOTAL_COUNT_HEADER, pageOf } from "../pagination";
import { userManagement } from "../modules/admin";
import { AdminModel } from "../modules/admin/model";
import { swaggerPage } from "../modules/docs";
import { PublicUser, normalizeBodyEmail, toPublicUser } from "../modules/users/model";
import { CredentialsBody, RefreshBody, SimpleJwtPair, credentialsAccount, simpleJwtPair } from "./shared";

const TAG = "compat: v1";

/** Seed 001's /api/v1 routes over authd's services: tokens, account, staff management. */
export const v1Routes = (context: AppContext) => {
  const { auth, admin, sessions, clientOf } = context;
  const users = userManagement(context);

  return new Elysia({ prefix: "/api/v1", tags: [TAG] })
    .use(authGuard(context))
    .get("/", () => ({ name: "authd", api_version: "v1" as const, message: "Welcome!" }), {
      auth: true,
      response: { 200: t.Object({ name: t.String(), api_version: t.Literal("v1"), message: t.String() }), ...errorResponses(401) },
      detail: { summary: "Ping (v1)", tags: [TAG] },
    })
    .post(
      "/auth/token/",
      async ({ body, request, server }) =>
        simpleJwtPair(await auth.login(credentialsAccount(body), body.password, clientOf(request, server))),
      { body: CredentialsBody, response: { 200: SimpleJwtPair, ...errorResponses(400, 401, 403, 429) }, detail: { summary: "Obtain a token pair (v1)", tags: [TAG] } },
    )
    .post("/auth/token/refresh/", async ({ body }) => simpleJwtPair(await auth.refresh(body.refresh)), {
      body: RefreshBody,
      response: { 200: SimpleJwtPair, ...errorResponses(400, 401) },
      detail: { summary: "Rotate a refresh token (v1)", tags: [TAG] },
    })
    .post(
      "/auth/logout/",
      async ({ body }) => {
        await auth.logout(body.refresh);
        return { detail: "Successfully logged out." };
      },
      {
        auth: true,
        body: RefreshBody,
        response: { 200: t.Object({ detail: t.String() }), ...errorResponses(400, 401) },
        detail: { summary: "Log out: revoke the session of a refresh token (v1)", tags: [TAG] },
      },
    )
    .get(
      "/auth/logout_all/",
      async ({ user, set }) => {
        await sessions.revokeAllOf(user.id);
        set.status = 205;
      },
      {
        auth: true,
        response: errorResponses(401),
        detail: { summary: "Revoke every session of the user (v1): 205, empty body", tags: [TAG], responses: { 205: { description: "Every session revoked." } } },
      },
    )
    .get("/account/", ({ user }) => toPublicUser(user), {
      auth: true,
      response: { 200: PublicUser, ...errorResponses(401) },
      detail: { summary: "The current user (v1)", tags: [TAG] },
    })
    .get(
      "/account/management/",
      async ({ query, set }) => {
        const { count, results } = await admin.listUsers("", pageOf(query));
        set.headers[TOTAL_COUNT_HEADER] = String(count);
        return results.map(toPublicUser);
      },
      {
        role: "staff",
        query: AdminModel.page,
        response: { 200: t.Array(PublicUser), ...errorResponses(400, 401, 403) },
        detail: {
          summary: "Users, by id (v1)",
          description: "`limit` (1–500, default 50) from `offset`, as every list; the number of all users in `X-Total-Count`.",
          tags: [TAG],
        },
      },
    )
    .post(
      "/account/management/create/",
      users.create,
      {
        role: "superuser",
        transform: normalizeBodyEmail,
        body: AdminModel.createUser,
        response: { 201: PublicUser, ...errorResponses(400, 401, 403, 409) },
        detail: { summary: "Create a user (v1)", tags: [TAG] },
      },
    )
    .get("/account/management/:id/", users.read, {
      role: "staff",
      params: AdminModel.userParams,
      response: { 200: PublicUser, ...errorResponses(401, 403, 404) },
      detail: { summary: "One user (v1)", tags: [TAG] },
    })
    .put("/account/management/:id/update/", users.update, {
      ...users.updateOptions,
      detail: { summary: "Change a user (v1)", tags: [TAG] },
    })
    .patch("/account/management/:id/update/", users.update, {
      ...users.updateOptions,
      detail: { summary: "Change some of a user (v1)", tags: [TAG] },
    })
    .delete(
      "/account/management/:id/delete/",
      users.remove,
      {
        role: "superuser",
        params: AdminModel.userParams,
        response: errorResponses(401, 403, 404, 409),
        detail: { summary: "Delete a user (v1)", tags: [TAG], responses: { 204: { description: "Deleted." } } },
      },
    )
    .get("/swagger/ui/", swaggerPage, { detail: { hide: true } });
};
