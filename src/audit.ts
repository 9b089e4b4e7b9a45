import { count, desc } from "drizzle-orm";
import type { Db } from "./db/client";
import { auditLog } from "./db/schema";
import type { Page } from "./pagination";

export type AuditEntry = Omit<typeof auditLog.$inferInsert, "id" | "at">;

/** The audit log: written in the transaction of the change it records, read newest first. */
export class AuditLog {
  constructor(private readonly db: Db) {}

  async record(entry: AuditEntry, executor: Pick<Db, "insert"> = this.db): Promise<void> {
    await executor.insert(auditLog).values(entry);
  }

  async list({ limit, offset }: Page) {
    const [results, [total]] = await Promise.all([
      this.db.select().from(auditLog).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(limit).offset(offset),
      this.db.select({ count: count() }).from(auditLog),
    ]);
    return { count: total!.count, results };
  }
}
