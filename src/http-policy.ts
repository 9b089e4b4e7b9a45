import { Elysia } from "elysia";
import type { AppConfig } from "./config";
import { ApiError, validationError } from "./errors";
import { assertPlainTextBody } from "./input-policy";

export const SECURITY_HEADERS = {
  // JSON loads nothing: the strictest policy (OWASP's for REST APIs). The docs page has its own.
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  // Responses carry tokens and personal data: never let a shared cache keep them.
  "cache-control": "no-store",
} as const;

// The unread rest of the body would keep the connection busy (and a graceful stop waiting): close it.
const tooLarge = (limit: number) =>
  new ApiError("payload_too_large", `Request body is larger than ${limit} bytes.`, undefined, { connection: "close" });

/**
 * The body as text, refused past `limit` bytes. A declared Content-Length was checked on
 * arrival; a chunked body is read as it comes and cut off at the limit, never buffered whole.
 */
async function readBody(request: Request, limit: number): Promise<string> {
  if (request.headers.has("content-length") || !request.body) return request.text();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const isJson = (contentType: string) => /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType);

/**
 * Cross-cutting HTTP rules: CORS, JSON-only bodies with a size limit, each failure in the one
 * error shape. (SECURITY_HEADERS are set as the app's default headers in app.ts: compiled into
 * every route, cheaper than a hook per request.)
 */
export const httpPolicy = ({ corsOrigins, maxBodyBytes }: Pick<AppConfig, "corsOrigins" | "maxBodyBytes">) => {
  const allowedOrigins = new Set(corsOrigins);

  return new Elysia({ name: "http-policy" })
    .onRequest(({ request, set }) => {
      const origin = allowedOrigins.size ? request.headers.get("origin") : null;
      const corsAllowed = origin !== null && allowedOrigins.has(origin);
      if (corsAllowed) {
        set.headers["access-control-allow-origin"] = origin;
        set.headers["access-control-expose-headers"] = "Retry-After, X-Total-Count";
        set.headers.vary = "Origin";
      }
      if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
        const headers: Record<string, string> = { ...SECURITY_HEADERS, vary: "Origin" };
        if (corsAllowed) {
          headers["access-control-allow-origin"] = origin;
          headers["access-control-allow-methods"] = "GET, POST, PUT, PATCH, DELETE";
          headers["access-control-allow-headers"] = "Authorization, Content-Type";
          headers["access-control-max-age"] = "600";
        }
        return new Response(null, { status: 204, headers });
      }
      const declaredLength = Number(request.headers.get("content-length") ?? 0);
      if (declaredLength > maxBodyBytes) throw tooLarge(maxBodyBytes);
    })
    .onParse({ as: "global" }, async ({ request, contentType }) => {
      const text = await readBody(request, maxBodyBytes);
      if (!text.trim()) return {};
      if (!isJson(contentType))
        throw new ApiError("unsupported_media_type", `Unsupported media type "${contentType}"; send application/json.`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ApiError("validation_error", "Malformed JSON in request body.");
      }
      // Every route takes an object; Elysia would quietly read an array, a string or null as {}.
      if (typeof body !== "object" || body === null || Array.isArray(body))
        throw validationError({ non_field_errors: ["Expected a JSON object."] }, "The request body must be a JSON object.");
      assertPlainTextBody(body);
      return body;
    })
    // Never reached (the parser above always answers); it declares JSON as the body type,
    // which is where the OpenAPI document reads request content types from.
    .onParse({ as: "global" }, { fn: "json" } as never);
};
