/**
 * The ceiling for GET /api/me/: a bare Bun.serve that verifies an HS256 JWT with jose, runs one
 * prepared primary-key SELECT and answers with the response /api/me/ gives (the same JSON
 * body, the same headers), nothing else: no framework, no session check, no schema.
 * Env: PORT, DATABASE_URL (authd's own database: the same users row), JWT_SECRET.
 */
import { jwtVerify } from "jose";
import postgres from "postgres";
import { SECURITY_HEADERS } from "../../src/http-policy";

const sql = postgres(process.env.DATABASE_URL!, { max: 10 });
const key = new TextEncoder().encode(process.env.JWT_SECRET!);
const headers = { ...SECURITY_HEADERS, "content-type": "application/json;charset=utf-8" };

const server = Bun.serve({
  port: Number(process.env.PORT),
  hostname: "127.0.0.1",
  reusePort: false,
  async fetch(request) {
    const token = request.headers.get("authorization")?.slice(7) ?? "";
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp"] });
      // postgres.js prepares this statement once per connection and reuses it.
      const [user] = await sql`select id, email, username, first_name, last_name, bio, location, avatar, privacy, metadata,
        is_active, is_staff, is_superuser, email_verified_at, date_joined, last_login from users where id = ${payload.user_id as number}`;
      if (!user) return new Response(null, { status: 404 });
      const body = {
        id: user.id,
        email: user.email,
        username: user.username,
        first_name: user.first_name,
        last_name: user.last_name,
        bio: user.bio,
        location: user.location,
        avatar: user.avatar,
        privacy: user.privacy,
        metadata: user.metadata,
        is_active: user.is_active,
        is_staff: user.is_staff,
        is_superuser: user.is_superuser,
        email_verified: user.email_verified_at !== null,
        date_joined: user.date_joined.toISOString(),
        last_login: user.last_login?.toISOString() ?? null,
      };
      return new Response(JSON.stringify(body), { headers });
    } catch {
      return new Response(null, { status: 401 });
    }
  },
});
console.log(`listening ${server.port}`);
