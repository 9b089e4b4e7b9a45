/** `text` with LIKE's wildcards (and its escape character) escaped, to match as itself. */
const literally = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** A LIKE pattern matching `text` anywhere. */
export const containing = (text: string) => `%${literally(text)}%`;

/** A LIKE pattern matching what starts with `text`. */
export const startingWith = (text: string) => `${literally(text)}%`;
