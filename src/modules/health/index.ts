import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { ping } from "../../db/client";
import { ApiError, errorResponses } from "../../errors";
import { errorFields } from "../../logger";

const Status = t.Object({ status: t.String({ examples: ["ok"] }) });

export const healthModule = ({ database, log }: AppContext) =>
  new Elysia({ tags: ["health"] })
    .get("/healthz", () => ({ status: "ok" }), {
      response: { 200: Status },
      detail: { summary: "Liveness: the process answers", tags: ["health"] },
    })
    .get(
      "/readyz",
      async () => {
        try {
          await ping(database.db);
        } catch (error) {
          log.warn("readiness check failed", errorFields(error));
          throw new ApiError("service_unavailable", "Database unavailable.");
        }
        return { status: "ok" };
      },
      {
        response: { 200: Status, ...errorResponses(503) },
        detail: { summary: "Readiness: the database answers", tags: ["health"] },
      },
    );
