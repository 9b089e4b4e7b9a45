import type { Server } from "bun";
import { Elysia, t } from "elysia";
import type { AppContext } from "../context";
import { errorResponses } from "../errors";
import { EmailField, PasswordField, UsernameField, normalizeBodyEmail } from "../modules/users/model";
import { CredentialsBody, RefreshBody, SimpleJwtPair, credentialsAccount, simpleJwtPair } from "./shared";

const TAG = "compat: simplejwt";

/**
 * Django REST Framework SimpleJWT's routes (seeds 003, 004) over authd's own services: the same
 * logins, rotation and limits. /api/token/verify/, the reset routes and /api/users/ are native.
 */
export const simpleJwtRoutes = (context: AppContext) => {
  const { auth, clientOf } = context;
  const obtain = {
    body: CredentialsBody,
    response: { 200: SimpleJwtPair, ...errorResponses(400, 401, 403, 429) },
  } as const;
  const login = async ({ body, request, server }: { body: typeof CredentialsBody.static; request: Request; server: Server<unknown> | null }) =>
    simpleJwtPair(await auth.login(credentialsAccount(body), body.password, clientOf(request, server)));

  return new Elysia({ prefix: "/api", tags: [TAG] })
    .post("/token/", login, { ...obtain, detail: { summary: "Obtain a token pair (SimpleJWT)", tags: [TAG] } })
    .post("/token/obtain/", login, { ...obtain, detail: { summary: "Obtain a token pair (SimpleJWT, obtain path)", tags: [TAG] } })
    .post("/token/refresh/", async ({ body }) => simpleJwtPair(await auth.refresh(body.refresh)), {
      body: RefreshBody,
      response: { 200: SimpleJwtPair, ...errorResponses(400, 401) },
      detail: { summary: "Rotate a refresh token (SimpleJWT, with ROTATE_REFRESH_TOKENS)", tags: [TAG] },
    })
    .post(
      "/user/create/",
      async ({ body, set, request, server }) => {
        const user = await auth.register(body, clientOf(request, server));
        set.status = 201;
        return { email: user.email, username: user.username };
      },
      {
        transform: normalizeBodyEmail,
        body: t.Object(
          { username: UsernameField, email: EmailField, password: PasswordField },
          { examples: [{ username: "john", email: "john@example.com", password: "a long password" }] },
        ),
        response: { 201: t.Object({ email: t.String(), username: t.String() }), ...errorResponses(400, 409, 429) },
        detail: { summary: "Create an account (seeds 003/004)", tags: [TAG] },
      },
    );
};
