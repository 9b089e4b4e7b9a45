import { timingSafeEqual } from "node:crypto";
import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { ApiError, errorResponses } from "../../errors";
import { canonicalIp } from "../../client-info";
import { bearerToken } from "../../guard";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

/** Headers a proxy sets to say whom it forwards for: any of them means the caller is not this machine. */
const FORWARDING = /^(forwarded|via|x-forwarded-.*|x-real-ip|x-client-ip|x-cluster-client-ip|true-client-ip|cf-connecting-ip|fastly-client-ip|x-original-forwarded-for)$/;
const forwardedByAProxy = (request: Request) => {
  for (const name of request.headers.keys()) if (FORWARDING.test(name)) return true;
  return false;
};
const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest();

/**
 * Who may read the metrics: with METRICS_TOKEN, whoever presents it; without, only a client
 * on this machine that no proxy forwarded (an in-process request has no address and counts).
 */
function assertMayRead(request: Request, address: string | undefined, token: string | undefined): void {
  if (token !== undefined) {
    const presented = bearerToken(request.headers.get("authorization")) ?? "";
    if (!timingSafeEqual(sha256(presented), sha256(token)))
      throw new ApiError("not_authenticated", "Metrics need Authorization: Bearer <METRICS_TOKEN>.", undefined, {
        "www-authenticate": "Bearer",
      });
    return;
  }
  const peer = canonicalIp(address);
  if (forwardedByAProxy(request) || (address !== undefined && !(peer && LOOPBACK.test(peer))))
    throw new ApiError("permission_denied", "Metrics are served to loopback clients only; set METRICS_TOKEN to serve them elsewhere.");
}

export const metricsModule = ({ metrics, config }: AppContext) =>
  new Elysia().get(
    "/metrics",
    async ({ request, server }) => {
      assertMayRead(request, server?.requestIP(request)?.address, config.metricsToken);
      return new Response(await metrics.exposition(), { headers: { "content-type": metrics.contentType } });
    },
    {
      response: { 200: t.String({ description: "Prometheus text exposition format" }), ...errorResponses(401, 403) },
      detail: {
        summary: "Prometheus metrics",
        description:
          "Requests by route and status, latency, logins, refresh rotations and reuse, password-hash time, database pool. " +
          "With METRICS_TOKEN set: `Authorization: Bearer <METRICS_TOKEN>`; unset: loopback clients only.",
        tags: ["health"],
      },
    },
  );
