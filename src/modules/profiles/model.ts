import { t } from "elysia";
import { PlainText } from "../../input-policy";
import { PageQuery } from "../../pagination";
import { ProfileSummary, USERNAME_MAX_LENGTH } from "../users/model";

export const ProfilesModel = {
  params: t.Object({
    username: PlainText({
      minLength: 1,
      maxLength: 4 * USERNAME_MAX_LENGTH,
      description: 'A username, URL-encoded ("John%20Smith"), matched in any letter case.',
      examples: ["John%20Smith"],
    }),
  }),
  search: t.Object({
    query: t.Optional(PlainText({ maxLength: 4 * USERNAME_MAX_LENGTH, description: "Part of a username, in any letter case; empty lists everyone." })),
    ...PageQuery,
  }),
  list: t.Array(ProfileSummary, { description: "Users with a username, ordered by username. `X-Total-Count` gives the number of all matches." }),
};
