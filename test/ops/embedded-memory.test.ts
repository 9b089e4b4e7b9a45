/**
 * Embedded mode hands the zero pages of PGlite's WebAssembly memory back to the system when idle
 * (src/db/zero-pages.ts). What must hold: the memory reads exactly as before, and the database
 * keeps every row and goes on working.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase } from "../../src/db/client";
import { releaseZeroPages } from "../../src/db/zero-pages";

const PAGE = 4096;

/** Resident kB of the mapping holding `address` (from /proc/self/smaps). */
function residentKiB(buffer: ArrayBuffer): number {
  const { ptr } = require("bun:ffi") as typeof import("bun:ffi");
  const address = ptr(new Uint8Array(buffer));
  for (const block of readFileSync("/proc/self/smaps", "utf8").split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const [start, end] = block.slice(0, block.indexOf(" ")).split("-").map((hex) => Number.parseInt(hex, 16)) as [number, number];
    if (address >= start && address < end) return Number(block.match(/^Rss:\s+(\d+) kB/m)?.[1]);
  }
  throw new Error("mapping not found");
}

describe("releaseZeroPages", () => {
  test("releases the resident pages that hold only zeros, keeps the others, and changes no byte", () => {
    const memory = new WebAssembly.Memory({ initial: 64 }); // 4 MiB
    const bytes = new Uint8Array(memory.buffer);
    // Every page written: the odd ones with a zero, the even ones with a byte that is not.
    const marker = (page: number) => page * PAGE + ((page * 37) % PAGE);
    const value = (page: number) => (page % 2 === 1 ? 0 : (page % 255) + 1);
    const pages = bytes.length / PAGE;
    for (let page = 0; page < pages; page++) bytes[marker(page)] = value(page);
    const before = Bun.hash(bytes);
    const residentBefore = residentKiB(memory.buffer);

    const released = releaseZeroPages(memory.buffer);

    expect(released).toBeGreaterThanOrEqual(bytes.length / 2 - 2 * PAGE);
    expect(released).toBeLessThanOrEqual(bytes.length / 2);
    expect(Bun.hash(bytes)).toBe(before);
    // Read back (a released page reads as zeros, from the kernel's shared zero page), and
    // still not resident.
    for (let page = 0; page < pages; page++) expect(bytes[marker(page)]).toBe(value(page));
    expect(residentKiB(memory.buffer)).toBeLessThanOrEqual(residentBefore - released / 1024 + 64);
    // A released page written again is memory like any other.
    bytes[1] = 7;
    expect(bytes[1]).toBe(7);
    expect(Bun.hash(bytes)).not.toBe(before);
  });
});

describe("an embedded database after releasing its idle memory", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "authd-zero-pages-"));
  let database: Awaited<ReturnType<typeof openDatabase>>;

  afterAll(async () => {
    await database?.close();
  });

  test("has every row and goes on reading and writing", async () => {
    database = await openDatabase({ kind: "pglite", dataDir });
    await database.db.execute(sql`create table notes (id serial primary key, body text not null)`);
    for (let i = 0; i < 200; i++) await database.db.execute(sql`insert into notes (body) values (${`note ${i} `.repeat(20)})`);
    type Note = { id: number; body: string };
    const notes = async () => ((await database.db.execute(sql`select id, body from notes order by id`)) as unknown as { rows: Note[] }).rows;
    const before = await notes();

    expect(database.releaseIdleMemory()).toBeGreaterThan(1024 * 1024);

    expect(await notes()).toEqual(before);
    await database.db.execute(sql`insert into notes (body) values ('after')`);
    await database.db.execute(sql`update notes set body = body || '!' where id % 2 = 0`);
    database.releaseIdleMemory();
    const after = await notes();
    expect(after).toHaveLength(201);
    expect(after.at(-1)).toEqual({ id: 201, body: "after" });
    expect(after.filter((row) => row.body.endsWith("!"))).toHaveLength(100);
  });
});
