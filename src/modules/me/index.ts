import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../errors";
import { authGuard } from "../../guard";
import { ProfileUpdate, PublicUser, checkMetadata, toPublicUser } from "../users/model";

export const meModule = (context: AppContext) => {
  const update = {
    auth: true,
    transform: checkMetadata,
    body: ProfileUpdate,
    response: { 200: PublicUser, ...errorResponses(400, 401, 409) },
  } as const;

  return new Elysia({ prefix: "/api/me", tags: ["me"] })
    .use(authGuard(context))
    .get("/", ({ user }) => toPublicUser(user), {
      auth: true,
      response: { 200: PublicUser, ...errorResponses(401) },
      detail: { summary: "The current user, with their profile", tags: ["me"] },
    })
    .put("/", async ({ user, body }) => toPublicUser(await context.users.updateProfile(user.id, body)), {
      ...update,
      detail: { summary: "Update the current user's profile (username, names, bio, location, avatar, privacy, metadata)", tags: ["me"] },
    })
    .patch("/", async ({ user, body }) => toPublicUser(await context.users.updateProfile(user.id, body)), {
      ...update,
      detail: { summary: "Update some of the current user's profile (same as PUT)", tags: ["me"] },
    });
};
