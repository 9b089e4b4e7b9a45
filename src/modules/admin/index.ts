import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses, rejectUnknownFields } from "../../errors";
import { authGuard } from "../../guard";
import { AdminModel } from "./model";

export const adminModule = (context: AppContext) => {
  const { settings } = context;
  const change = {
    role: "superuser",
    transform: rejectUnknownFields(AdminModel.settingsUpdate),
    body: AdminModel.settingsUpdate,
    response: { 200: AdminModel.settings, ...errorResponses(400, 401, 403) },
  } as const;
  const changeDetail = {
    tags: ["admin"],
    description:
      "Send some of the settings. All or nothing: one unknown key or bad value is a 400 naming it, and nothing is written. Takes effect for the next token issued, on every instance within a few seconds.",
  };

  return new Elysia({ prefix: "/api/admin", tags: ["admin"] })
    .use(authGuard(context))
    .get("/config/", () => settings.current(), {
      role: "superuser",
      response: { 200: AdminModel.settings, ...errorResponses(401, 403) },
      detail: { summary: "Read the runtime settings", tags: ["admin"] },
    })
    .put("/config/", ({ body, user }) => settings.update(body, user.id), {
      ...change,
      detail: { summary: "Change runtime settings", ...changeDetail },
    })
    .patch("/config/", ({ body, user }) => settings.update(body, user.id), {
      ...change,
      detail: { summary: "Change some runtime settings", ...changeDetail },
    });
};
