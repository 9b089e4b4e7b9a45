/**
 * The ceiling for POST /api/refresh/: a bare Bun.serve doing the durable work a rotation must
 * do in the fewest round trips: one statement, in its own implicit transaction (synchronous
 * commit on, PostgreSQL's default), that spends the presented token by its hash only if it is
 * unspent, extends its session and stores the successor's hash; then it signs an HS256 access
 * token with jose, with the claims authd's carry. No framework, no reuse detection, no schema.
 * Env: PORT, DATABASE_URL (authd's own database), JWT_SECRET, POOL (connections, default 10).
 */
import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import postgres from "postgres";
import { SECURITY_HEADERS } from "../../src/http-policy";

const sql = postgres(process.env.DATABASE_URL!, { max: Number(process.env.POOL ?? 10) });
const key = new TextEncoder().encode(process.env.JWT_SECRET!);
const headers = { ...SECURITY_HEADERS, "content-type": "application/json;charset=utf-8" };
const REFRESH_LIFETIME = 2_592_000; // authd's default refresh_token_lifetime
const ACCESS_LIFETIME = Number(process.env.ACCESS_LIFETIME ?? 3600);
const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");

const server = Bun.serve({
  port: Number(process.env.PORT),
  hostname: "127.0.0.1",
  reusePort: false,
  async fetch(request) {
    try {
      const { refresh_token: presented } = (await request.json()) as { refresh_token: string };
      const successor = crypto.randomUUID();
      // postgres.js prepares this statement once per connection and reuses it.
      const [rotated] = await sql`
        with spent as (
          update refresh_tokens set used_at = now()
          where token_hash = ${sha256(presented)} and used_at is null and expires_at > now()
          returning session_id
        ), extended as (
          update sessions set last_used_at = now(), expires_at = now() + make_interval(secs => ${REFRESH_LIFETIME})
          where id = (select session_id from spent)
          returning id, user_id
        ), stored as (
          insert into refresh_tokens (session_id, token_hash, expires_at)
          select id, ${sha256(successor)}, now() + make_interval(secs => ${REFRESH_LIFETIME}) from extended
        )
        select id, user_id from extended`;
      if (!rotated) return new Response(null, { status: 401 });
      const issuedAt = Math.floor(Date.now() / 1000);
      const access = await new SignJWT({
        sub: String(rotated.user_id),
        user_id: rotated.user_id,
        sid: rotated.id,
        type: "access",
        jti: crypto.randomUUID(),
        exp: issuedAt + ACCESS_LIFETIME,
      })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuedAt()
        .sign(key);
      const body = { access_token: access, refresh_token: successor, token_type: "Bearer", expires_in: ACCESS_LIFETIME };
      return new Response(JSON.stringify(body), { headers });
    } catch {
      return new Response(null, { status: 400 });
    }
  },
});
console.log(`listening ${server.port}`);
