import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import type { Account } from "../../db/schema";
import { ApiError, errorResponses } from "../../errors";
import { authGuard } from "../../guard";
import { TOTAL_COUNT_HEADER, pageOf } from "../../pagination";
import { Profile, ProfileUpdate, checkMetadata, toProfile } from "../users/model";
import { ProfilesModel } from "./model";

const profileNotFound = () => new ApiError("not_found", "No such profile.");

/** A private profile exists only for its owner and staff: to anyone else it is a 404. */
const canSee = (profile: Account, viewer: Account | null) =>
  !profile.privacy || (viewer !== null && (viewer.id === profile.id || viewer.isStaff || viewer.isSuperuser));

/** Public profiles (seed 004): read by anyone, edited by their owner, searched by username. */
export const profilesModule = (context: AppContext) => {
  const { users } = context;
  const update = {
    auth: true,
    params: ProfilesModel.params,
    transform: checkMetadata,
    body: ProfileUpdate,
    response: { 200: Profile, ...errorResponses(400, 401, 403, 404, 409) },
  } as const;
  const updateProfile = async ({ user, params, body }: { user: Account; params: { username: string }; body: ProfileUpdate }) => {
    const profile = await users.findByUsername(params.username);
    if (!profile) throw profileNotFound();
    if (profile.id !== user.id) throw new ApiError("permission_denied", "Only its owner may change a profile.");
    return toProfile(await users.updateProfile(user.id, body));
  };

  return new Elysia({ prefix: "/api/users", tags: ["profiles"] })
    .use(authGuard(context))
    .get(
      "/",
      async ({ query, set }) => {
        const { total, users: found } = await users.searchByUsername(query.query ?? "", pageOf(query));
        set.headers[TOTAL_COUNT_HEADER] = String(total);
        return found;
      },
      {
        query: ProfilesModel.search,
        response: { 200: ProfilesModel.list, ...errorResponses(400) },
        detail: {
          summary: "Search profiles by username",
          description: "Usernames containing `query` in any letter case, ordered by username, `limit` (1–500, default 50) from `offset`. The total number of matches is in the `X-Total-Count` header.",
          tags: ["profiles"],
        },
      },
    )
    .get(
      "/:username/",
      async ({ params, viewer }) => {
        const profile = await users.findByUsername(params.username);
        if (!profile || !canSee(profile, viewer)) throw profileNotFound();
        return toProfile(profile);
      },
      {
        optionalAuth: true,
        params: ProfilesModel.params,
        response: { 200: Profile, ...errorResponses(401, 404) },
        detail: {
          summary: "A user's profile",
          description: "Anyone may read a public profile. A private one is a 404 to everyone but its owner and staff (send the Bearer token).",
          tags: ["profiles"],
        },
      },
    )
    .put("/:username/", updateProfile, {
      ...update,
      detail: { summary: "Update your own profile", description: "Owner only: anyone else gets 403.", tags: ["profiles"] },
    })
    .patch("/:username/", updateProfile, {
      ...update,
      detail: { summary: "Update some of your own profile (same as PUT)", description: "Owner only: anyone else gets 403.", tags: ["profiles"] },
    });
};
