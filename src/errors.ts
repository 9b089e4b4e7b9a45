import { Elysia, ValidationError } from "elysia";
import { t } from "elysia";
import { isDatabaseUnavailable } from "./db/client";

/** Every machine-readable error code the API answers with, and its HTTP status. */
export const errorStatus = {
  validation_error: 400,
  invalid_credentials: 401,
  token_not_valid: 401,
  token_reused: 401,
  not_authenticated: 401,
  permission_denied: 403,
  email_not_verified: 403,
  not_found: 404,
  method_not_allowed: 405,
  email_taken: 409,
  username_taken: 409,
  last_superuser: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export type FieldErrors = Record<string, string[]>;

/** A failure the client is meant to see: thrown anywhere, rendered by `errorHandler`. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly fields?: FieldErrors,
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.status = errorStatus[code];
  }
}

export const validationError = (fields: FieldErrors, detail = "Invalid input.") =>
  new ApiError("validation_error", detail, fields);

/** The one error shape, for the OpenAPI document. */
export const ErrorBody = t.Object(
  {
    detail: t.String(),
    code: t.String(),
    fields: t.Optional(t.Record(t.String(), t.Array(t.String()))),
  },
  {
    examples: [
      { detail: "Invalid input.", code: "validation_error", fields: { email: ["Enter a valid email address."] } },
    ],
  },
);

/**
 * A transform hook for bodies where an unknown field is an error rather than ignored (Elysia
 * drops fields its schema does not name): a 400 naming each one.
 */
export const rejectUnknownFields =
  (schema: { properties: Record<string, unknown> }) =>
  ({ body }: { body: unknown }) => {
    if (typeof body !== "object" || body === null) return;
    const unknown = Object.keys(body).filter((key) => !Object.hasOwn(schema.properties, key));
    if (unknown.length) throw validationError(Object.fromEntries(unknown.map((key) => [key, ["Unknown field."]])));
  };

/** A Django-style message for one failed check, worked out from the schema and the value. */
function describeIssue(schema: any, value: unknown, field: string): string {
  if (value === undefined) return "This field is required.";
  if (schema.type === "object" && field && !(field in (schema.properties ?? {}))) return "Unknown field.";
  const expected = schema.type as string | undefined;
  // A wrong JSON type first, then the field's own statement of what it allows, if it has one.
  if (expected === "string" && typeof value !== "string") return "Must be a string.";
  if (expected === "boolean") return "Must be true or false.";
  if (expected === "object" && (typeof value !== "object" || value === null || Array.isArray(value))) return "Must be a JSON object.";
  if (typeof schema.error === "string") return schema.error;
  if (expected === "string") {
    if (typeof value !== "string") return "Must be a string.";
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      return `Ensure this field has at most ${schema.maxLength} characters.`;
    if (schema.minLength !== undefined && value.length < schema.minLength)
      return `Ensure this field has at least ${schema.minLength} characters.`;
    if (schema.format === "email") return "Enter a valid email address.";
    return "Invalid value.";
  }
  if (expected === "integer" || expected === "number") {
    const kind = expected === "integer" || schema.multipleOf === 1 ? "an integer" : "a number";
    if (schema.minimum !== undefined && schema.maximum !== undefined)
      return `Must be ${kind} from ${schema.minimum} to ${schema.maximum}.`;
    if (typeof value !== "number" || (kind === "an integer" && !Number.isInteger(value))) return `Must be ${kind}.`;
    if (schema.minimum !== undefined && value < schema.minimum) return `Must be at least ${schema.minimum}.`;
    if (schema.maximum !== undefined && value > schema.maximum) return `Must be at most ${schema.maximum}.`;
  }
  return "Invalid value.";
}

function fieldErrorsOf(error: ValidationError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.all as Array<{ path?: string; schema?: unknown; value?: unknown }>) {
    const field = (issue.path ?? "").replace(/^\//, "").replaceAll("/", ".");
    const message = describeIssue(issue.schema ?? {}, issue.value, field.split(".").at(-1) ?? "");
    const list = (fields[field || "non_field_errors"] ??= []);
    if (!list.includes(message)) list.push(message);
  }
  return fields;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

export function errorResponse(error: ApiError): Response {
  const body: Record<string, unknown> = { detail: error.detail, code: error.code };
  if (error.fields) body.fields = error.fields;
  return json(error.status, body, error.headers);
}

/** Maps every failure, ours or Elysia's, onto the one error shape; nothing raw leaks out. */
export const errorHandler = (log: (message: string, error: unknown) => void) => {
  // An outage fails every request: one line per 5 s says why without flooding the log.
  let unavailableLoggedAt = 0;
  return new Elysia({ name: "error-handler" }).onError({ as: "global" }, ({ code, error, set }) => {
    // Security headers set in onRequest live on `set`; carry them over to the error response.
    const headers = Object.fromEntries(
      Object.entries(set.headers).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
    );
    // Elysia wraps what a parse hook throws in a ParseError; ours are inside it.
    const cause = code === "PARSE" ? (error as Error).cause : undefined;
    let apiError: ApiError;
    if (error instanceof ApiError) apiError = error;
    else if (cause instanceof ApiError) apiError = cause;
    else if (code === "VALIDATION" && (error as ValidationError).type !== "response")
      apiError = validationError(fieldErrorsOf(error as ValidationError));
    else if (code === "PARSE") apiError = new ApiError("validation_error", "Malformed JSON in request body.");
    else if (code === "NOT_FOUND") apiError = new ApiError("not_found", "Not found.");
    else if (isDatabaseUnavailable(error)) {
      apiError = new ApiError("service_unavailable", "The database is unavailable; try again shortly.", undefined, { "retry-after": "1" });
      if (Date.now() - unavailableLoggedAt > 5_000) {
        unavailableLoggedAt = Date.now();
        log("database unavailable: answering 503", error);
      }
    } else {
      log("unhandled error", error);
      apiError = new ApiError("internal_error", "Internal server error.");
    }
    set.status = apiError.status; // for the request log, which reads the final status from `set`
    const response = errorResponse(apiError);
    for (const [name, value] of Object.entries(headers)) {
      if (!response.headers.has(name)) response.headers.set(name, value);
    }
    return response;
  });
};

/** Documents the error responses a route may give, all in the one shape. */
export const errorResponses = <const S extends number>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((status) => [status, ErrorBody])) as Record<S, typeof ErrorBody>;
