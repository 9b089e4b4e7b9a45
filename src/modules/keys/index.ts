import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";

const Jwks = t.Object({ keys: t.Array(t.Record(t.String(), t.String())) });

/** Public signing keys, so other services verify access tokens without sharing a secret. */
export const keysModule = ({ accessTokens }: AppContext) =>
  new Elysia({ tags: ["auth"] }).get(
    "/.well-known/jwks.json",
    ({ set }) => {
      set.headers["cache-control"] = "public, max-age=300";
      return accessTokens.jwks as typeof Jwks.static;
    },
    {
      response: { 200: Jwks },
      detail: {
        summary: "Public keys that verify access tokens (JWKS)",
        description: "Empty with HS256 (a shared secret is never published); with EdDSA or ES256, the signing key's public half.",
        tags: ["auth"],
      },
    },
  );
