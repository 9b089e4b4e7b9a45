import type { Server } from "bun";

/** Who is logging in, as a session records it. */
export interface ClientInfo {
  userAgent: string;
  ip: string | null;
}

/** The client's address: the first X-Forwarded-For hop behind a trusted proxy, else the socket peer. */
function clientIp(request: Request, server: Server<unknown> | null, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return server?.requestIP(request)?.address ?? null;
}

// Reads single headers from the request: a handler that names Elysia's `headers` makes it copy
// every request header into an object first.
export const clientInfo = (request: Request, server: Server<unknown> | null, trustProxy: boolean): ClientInfo => ({
  userAgent: (request.headers.get("user-agent") ?? "").slice(0, 512),
  ip: clientIp(request, server, trustProxy),
});
