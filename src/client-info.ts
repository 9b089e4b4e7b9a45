import type { Server } from "bun";

/** The client's address: the first X-Forwarded-For hop behind a trusted proxy, else the socket peer. */
export function clientIp(request: Request, server: Server<unknown> | null, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return server?.requestIP(request)?.address ?? null;
}
