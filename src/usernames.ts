/**
 * Usernames are display names: any script, accents and spaces, and no way to pass for someone
 * else. What is refused outright: characters that show nothing or turn the text around (format
 * characters such as zero-width spaces and joiners, bidi embeddings, overrides and isolates),
 * other default-ignorable code points (fillers, variation selectors), controls (C0 and C1),
 * private-use and unassigned code points, and line or paragraph separators.
 */
export const HIDDEN_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/** Full case folding, near enough: upper then lower case maps ß to ss and ς to σ as folding does. */
const fold = (text: string) => text.toUpperCase().toLowerCase();

/**
 * The form usernames are looked up and kept unique by: NFKC (fullwidth "ａｌｉｃｅ" is "alice",
 * "ﬁ" is "fi", every space is U+0020), case folded, runs of spaces as one. Computed here, never
 * by the database's lower(), which folds only ASCII in some locales.
 */
export function usernameKey(username: string): string {
  return fold(username.trim().normalize("NFKC")).normalize("NFKC").replace(/ {2,}/g, " ");
}

type Prototypes = Record<string, string>;
let prototypes: Promise<Prototypes> | undefined;
/** Unicode's confusables.txt as `unhomoglyph` ships it: each confusable code point to its prototype. Loaded on first use (~6,300 entries). */
const confusables = () => (prototypes ??= import("unhomoglyph/data.json").then((data) => data.default as Prototypes));

/**
 * The Unicode TS #39 skeleton of a username, case-insensitively: two usernames with the same
 * skeleton look alike (Cyrillic "аlice" and "alice", "rn" and "m", "0" and "O"), so only one of
 * them may exist. Each code point mapped to its prototype, folded, and again until nothing
 * changes: a prototype can be a letter that folds, and a letter can map before it is folded
 * ("I" is "l", "i" is not).
 */
export async function usernameSkeleton(username: string): Promise<string> {
  const prototypeOf = await confusables();
  let current = username.trim().normalize("NFKC").replace(/\s+/g, " ");
  for (let pass = 0; pass < 4; pass++) {
    let mapped = "";
    for (const character of current.normalize("NFD")) mapped += prototypeOf[character] ?? character;
    const next = fold(mapped.normalize("NFD"));
    if (next === current) break;
    current = next;
  }
  return current;
}
