/**
 * The ceiling for GET /api/me/: a bare Bun.serve that verifies an HS256 JWT and runs one
 * prepared primary-key SELECT, nothing else. Env: PORT, DATABASE_URL, JWT_SECRET.
 */
import { jwtVerify } from "jose";
import postgres from "postgres";

const sql = postgres(process.env.DATABASE_URL!, { max: 10 });
const key = new TextEncoder().encode(process.env.JWT_SECRET!);

const server = Bun.serve({
  port: Number(process.env.PORT),
  hostname: "127.0.0.1",
  async fetch(request) {
    const token = request.headers.get("authorization")?.slice(7) ?? "";
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp"] });
      // postgres.js prepares this statement once per connection and reuses it.
      const [user] = await sql`select id, email, username, first_name, last_name from users where id = ${payload.user_id as number}`;
      return user ? Response.json(user) : new Response(null, { status: 404 });
    } catch {
      return new Response(null, { status: 401 });
    }
  },
});
console.log(`listening ${server.port}`);
