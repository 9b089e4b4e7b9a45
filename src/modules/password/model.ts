import { t } from "elysia";
import { PasswordField } from "../users/model";

export const PasswordModel = {
  change: t.Object({
    old_password: t.String({ minLength: 1, maxLength: 128, examples: ["correct horse battery"] }),
    new_password: PasswordField,
  }),
  changed: t.Object({
    success: t.String({ examples: ["Password changed."] }),
    revoked: t.Number({ multipleOf: 1, description: "How many other sessions were revoked." }),
  }),
};
