import { Elysia } from "elysia";
import type { AppContext } from "../context";
import { djRestAuthRoutes } from "./dj-rest-auth";
import { simpleJwtRoutes } from "./simplejwt";
import { v1Routes } from "./v1";

const ROUTE_SETS = { simplejwt: simpleJwtRoutes, v1: v1Routes, "dj-rest-auth": djRestAuthRoutes };

/**
 * The routes of the other seed systems (COMPAT_ROUTES): thin adapters that map each body to
 * the call the native route makes and the result back. No second login, rotation or reset.
 */
export const compatModule = (context: AppContext) => {
  let app = new Elysia({ name: "compat" });
  for (const set of context.config.compatRoutes) app = app.use(ROUTE_SETS[set](context)) as unknown as typeof app;
  return app;
};
