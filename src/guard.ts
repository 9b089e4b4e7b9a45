import { Elysia } from "elysia";
import type { AppContext } from "./context";
import type { Account } from "./db/schema";
import { ApiError } from "./errors";

export type Role = "staff" | "superuser";

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export const bearerToken = (authorization: string | null) => authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];

const hasRole = (user: Account, role: Role) => user.isSuperuser || (role === "staff" && user.isStaff);

const tokenNotValid = () => new ApiError("token_not_valid", "Given token not valid for any token type.");

/** A verified access token whose session is live and whose user is active, or null. */
export async function authenticateAccessToken(
  { accessTokens, sessions }: Pick<AppContext, "accessTokens" | "sessions">,
  token: string,
) {
  const claims = await accessTokens.verify(token);
  const user = claims && (await sessions.liveSessionUser(claims.sid, claims.user_id));
  return user ? { user, sessionId: claims.sid } : null;
}

/**
 * `{ auth: true }` on a route requires a valid access token whose session is live and whose
 * user is active, and resolves `user` and `sessionId`; `{ role: "staff" | "superuser" }`
 * additionally requires that role. Revocation therefore takes effect on the very next request.
 */
export const authGuard = (context: Pick<AppContext, "accessTokens" | "sessions">) => {
  // Reads the one header from the request: naming `headers` in a resolve makes Elysia copy
  // every request header into an object first.
  const authenticate = async (authorization: string | null) => {
    const token = bearerToken(authorization);
    if (!token) throw new ApiError("not_authenticated", "Authentication credentials were not provided.");
    const authenticated = await authenticateAccessToken(context, token);
    if (!authenticated) throw tokenNotValid();
    return authenticated;
  };
  const security = [{ bearerAuth: [] }];

  return new Elysia({ name: "auth-guard" }).macro({
    auth: {
      detail: { security },
      resolve: ({ request }) => authenticate(request.headers.get("authorization")),
    },
    /** Anonymous allowed: `viewer` is the user of a valid token, or null without one (a bad one is still 401). */
    optionalAuth: {
      detail: { security: [{}, ...security] },
      resolve: async ({ request }) => {
        const authorization = request.headers.get("authorization");
        return { viewer: authorization === null ? null : (await authenticate(authorization)).user };
      },
    },
    role: (role: Role) => ({
      detail: { security },
      resolve: async ({ request }) => {
        const authenticated = await authenticate(request.headers.get("authorization"));
        if (!hasRole(authenticated.user, role))
          throw new ApiError("permission_denied", "You do not have permission to perform this action.");
        return authenticated;
      },
    }),
  });
};
