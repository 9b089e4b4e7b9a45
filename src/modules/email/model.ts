import { t } from "elysia";

export const EmailModel = {
  verify: t.Object(
    { token: t.String({ minLength: 1, maxLength: 256, description: "The token from the verification mail (also in its link)." }) },
    { examples: [{ token: "q3v8…" }] },
  ),
  status: t.Object({ status: t.Literal("OK") }),
};
