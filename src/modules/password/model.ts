import { t } from "elysia";
import { EmailField, PasswordField } from "../users/model";

const OneTimeToken = t.String({ minLength: 1, maxLength: 256, description: "The token from the mail (also in its link).", examples: ["q3v8…"] });

export const PasswordModel = {
  change: t.Object({
    old_password: t.String({ minLength: 1, maxLength: 128, examples: ["correct horse battery"] }),
    new_password: PasswordField,
  }),
  reset: t.Object({ email: EmailField }, { examples: [{ email: "user@example.com" }] }),
  resetConfirm: t.Object(
    {
      token: OneTimeToken,
      new_password: t.Optional(PasswordField),
      password: t.Optional(t.String({ minLength: 8, maxLength: 128, description: "Accepted instead of `new_password` (seed 004 clients)." })),
    },
    { examples: [{ token: "q3v8…", new_password: "a new long password" }] },
  ),
  status: t.Object({ status: t.Literal("OK") }),
  changed: t.Object({
    success: t.String({ examples: ["Password changed."] }),
    revoked: t.Number({ multipleOf: 1, description: "How many other sessions were revoked." }),
  }),
};
