import { t } from "elysia";
import { type FieldErrors, validationError } from "./errors";

/**
 * What every string the API takes must be, whatever the route: no control characters
 * (U+0000–U+001F, U+007F) and well-formed Unicode (no lone surrogates, which PostgreSQL's
 * jsonb refuses). Bodies are checked once, as they are parsed; query strings and path
 * parameters through `PlainText` in their route schemas.
 */

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export const CONTROL_CHARACTERS_MESSAGE = "Control characters are not allowed.";
const MALFORMED_UNICODE_MESSAGE = "Text must be valid Unicode (no lone surrogates).";
const FIELD_NAME_MESSAGE = "Field names may contain neither control characters nor lone surrogates.";

function problemWith(text: string): string | undefined {
  if (CONTROL_CHARACTER.test(text)) return CONTROL_CHARACTERS_MESSAGE;
  if (!text.isWellFormed()) return MALFORMED_UNICODE_MESSAGE;
  return undefined;
}

/**
 * Every string in a parsed JSON body, keys included, at any depth: a 400 naming each field
 * ("metadata.tags.0") that breaks the policy. Iterative, so deep nesting cannot overflow.
 */
export function assertPlainTextBody(body: object): void {
  const fields: FieldErrors = {};
  const pending: Array<[unknown, string]> = [[body, ""]];
  while (pending.length) {
    const [value, path] = pending.pop()!;
    if (typeof value === "string") {
      const problem = problemWith(value);
      if (problem) (fields[path || "non_field_errors"] ??= []).push(problem);
    } else if (typeof value === "object" && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path ? `${path}.${key}` : key;
        const keyProblem = problemWith(key);
        if (keyProblem) {
          (fields[path || "non_field_errors"] ??= []).push(FIELD_NAME_MESSAGE);
          continue;
        }
        pending.push([child, childPath]);
      }
    }
  }
  if (Object.keys(fields).length) throw validationError(fields);
}

/** A string query or path parameter held to the same policy as body strings (see `assertPlainTextBody`). */
export const PlainText = (options: Parameters<typeof t.String>[0] = {}) =>
  t.String({ pattern: "^[^\\u0000-\\u001f\\u007f]*$", error: CONTROL_CHARACTERS_MESSAGE, ...options });
