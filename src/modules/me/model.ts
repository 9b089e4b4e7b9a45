import { t } from "elysia";
import { NameField, UsernameField } from "../users/model";

export const MeModel = {
  update: t.Object(
    {
      username: t.Optional(UsernameField),
      first_name: t.Optional(NameField),
      last_name: t.Optional(NameField),
    },
    { description: "Only these fields can be changed here; any other field is ignored." },
  ),
};
