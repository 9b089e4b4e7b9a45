import { Elysia } from "elysia";
import type { AppContext } from "./context";
import type { User } from "./db/schema";
import { ApiError } from "./errors";

export type Role = "staff" | "superuser";

const bearerToken = (authorization: string | undefined) => {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
};

const hasRole = (user: User, role: Role) => user.isSuperuser || (role === "staff" && user.isStaff);

/**
 * `{ auth: true }` on a route requires a valid access token of an active user and resolves
 * `user`; `{ role: "staff" | "superuser" }` additionally requires that role.
 */
export const authGuard = ({ accessTokens, users }: Pick<AppContext, "accessTokens" | "users">) => {
  const authenticate = async (authorization: string | undefined): Promise<User> => {
    const token = bearerToken(authorization);
    if (!token) throw new ApiError("not_authenticated", "Authentication credentials were not provided.");
    const claims = await accessTokens.verify(token);
    const user = claims && (await users.findById(claims.user_id));
    if (!user?.isActive) throw new ApiError("token_not_valid", "Given token not valid for any token type.");
    return user;
  };
  const security = [{ bearerAuth: [] }];

  return new Elysia({ name: "auth-guard" }).macro({
    auth: {
      detail: { security },
      resolve: async ({ headers }) => ({ user: await authenticate(headers.authorization) }),
    },
    role: (role: Role) => ({
      detail: { security },
      resolve: async ({ headers }) => {
        const user = await authenticate(headers.authorization);
        if (!hasRole(user, role))
          throw new ApiError("permission_denied", "You do not have permission to perform this action.");
        return { user };
      },
    }),
  });
};
