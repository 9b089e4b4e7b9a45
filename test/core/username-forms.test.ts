import { afterAll, describe, expect, test } from "bun:test";
import { asc } from "drizzle-orm";
import { users } from "../../src/db/schema";
import { completeUsernameForms } from "../../src/modules/users/service";
import { freshDatabase } from "../support/helpers";

const database = await freshDatabase();
afterAll(() => database.close());

describe("usernames from before their derived forms existed", () => {
  test("get their lookup key and skeleton at start; a name that now clashes keeps its own and is reported", async () => {
    // As migration 0005 leaves them: no skeleton yet.
    const rows = ["Zoë", "ZOË", "Grace Hopper", "ａｄａ"].map((username, index) => ({
      email: `old-${index}@example.com`,
      passwordHash: "x",
      username,
    }));
    await database.db.insert(users).values(rows);
    const { completed, clashes } = await completeUsernameForms(database.db);
    expect(completed).toBe(3);
    expect(clashes.map((clash) => clash.username)).toEqual(["ZOË"]);
    const stored = await database.db
      .select({ username: users.username, key: users.usernameKey, skeleton: users.usernameSkeleton })
      .from(users)
      .orderBy(asc(users.id));
    expect(stored).toEqual([
      { username: "Zoë", key: "zoë", skeleton: expect.any(String) },
      { username: "ZOË", key: "", skeleton: "" },
      { username: "Grace Hopper", key: "grace hopper", skeleton: expect.any(String) },
      { username: "ａｄａ", key: "ada", skeleton: expect.any(String) },
    ]);
    // Run again (every start does): nothing left to do but the clash, reported again.
    expect(await completeUsernameForms(database.db)).toEqual({ completed: 0, clashes: [expect.objectContaining({ username: "ZOË" })] });
  });
});
