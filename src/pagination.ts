import { t } from "elysia";
import { FormatRegistry } from "elysia/type-system";

const LIMIT = { minimum: 1, maximum: 500, fallback: 50 };
const OFFSET = { minimum: 0, maximum: 2_147_483_647, fallback: 0 };

const wholeNumberWithin = ({ minimum, maximum }: { minimum: number; maximum: number }) => (value: string) =>
  /^\d{1,10}$/.test(value) && Number(value) >= minimum && Number(value) <= maximum;
FormatRegistry.Set("page-limit", wholeNumberWithin(LIMIT));
FormatRegistry.Set("page-offset", wholeNumberWithin(OFFSET));

/**
 * `limit` and `offset` of every list: whole numbers, 1–500 (default 50) and 0 to 2^31-1
 * (default 0). Anything else (0, negative, fractional, huge, not a number) is a 400 naming the
 * parameter: never an unbounded list, never a database error. Checked as text by a format
 * rather than decoded by t.Numeric: a failed decode reports no field name.
 */
export const PageQuery = {
  limit: t.Optional(
    t.String({ format: "page-limit", error: `An integer from ${LIMIT.minimum} to ${LIMIT.maximum}.`, description: `Items per page, ${LIMIT.minimum}–${LIMIT.maximum} (default ${LIMIT.fallback}).`, examples: ["50"] }),
  ),
  offset: t.Optional(
    t.String({ format: "page-offset", error: `An integer from ${OFFSET.minimum} to ${OFFSET.maximum}.`, description: "Items to skip (default 0).", examples: ["0"] }),
  ),
};

export interface Page {
  limit: number;
  offset: number;
}

/** The page a validated query asks for, defaults filled in. */
export const pageOf = (query: { limit?: string; offset?: string }): Page => ({
  limit: query.limit === undefined ? LIMIT.fallback : Number(query.limit),
  offset: query.offset === undefined ? OFFSET.fallback : Number(query.offset),
});

/** The header a list answered as a bare JSON array carries its total in. */
export const TOTAL_COUNT_HEADER = "x-total-count";
