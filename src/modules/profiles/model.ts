import { t } from "elysia";
import { PlainText } from "../../input-policy";
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
    limit: t.Optional(t.Numeric({ multipleOf: 1, minimum: 1, maximum: 500, default: 50, error: "An integer from 1 to 500." })),
    offset: t.Optional(t.Numeric({ multipleOf: 1, minimum: 0, default: 0, error: "An integer from 0." })),
  }),
  list: t.Array(ProfileSummary, { description: "Users with a username, ordered by username. `X-Total-Count` gives the number of all matches." }),
};
