import { and, eq, gt, inArray, isNull, lte, sql } from "drizzle-orm";
import type { AppConfig } from "../config";
import type { Db } from "../db/client";
import { mailOutbox, users } from "../db/schema";
import { type Logger, errorFields } from "../logger";
import type { OneTimeTokens } from "../one-time-tokens";
import type { SettingsStore } from "../settings";
import { type MailKind, mailTemplates } from "./templates";
import type { MailTransport } from "./transport";

/** A database handle or an open transaction: a mail is queued with the write that causes it. */
type Executor = Pick<Db, "insert">;

/** Verification links last this long (the reset lifetime is a runtime setting). */
export const EMAIL_VERIFICATION_LIFETIME_SECONDS = 3 * 86_400;
/** A mail still undelivered after a day is given up (logged). */
const GIVE_UP_AFTER_SECONDS = 86_400;
const BATCH = 10;

const LINK_PATHS: Record<MailKind, string> = {
  password_reset: "/reset-password",
  email_verification: "/verify-email",
};

/** A user id as Django's urlsafe_base64_encode(force_bytes(pk)) writes it ("MQ" for 1). */
export const encodeUid = (id: number) => Buffer.from(String(id)).toString("base64url");
/** The id a uid names, or undefined. */
export const decodeUid = (uid: string): number | undefined => {
  const digits = Buffer.from(uid, "base64url").toString();
  return /^\d{1,10}$/.test(digits) ? Number(digits) : undefined;
};

function inWords(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? "" : "s"}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? "" : "s"}`;
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? "" : "s"}`;
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

/**
 * Mails accepted by the API, delivered in the background: a row per mail in `mail_outbox`,
 * claimed by one instance at a time (SKIP LOCKED), retried with exponential backoff while the
 * SMTP server is away, kept across restarts. A row names the user and the kind of mail; the
 * token is issued only when the mail is sent, so no secret waits in the table.
 */
export class MailOutbox {
  private readonly render: ReturnType<typeof mailTemplates>;
  private timer?: ReturnType<typeof setInterval>;
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly deps: {
      db: Db;
      tokens: OneTimeTokens;
      settings: SettingsStore;
      transport: MailTransport;
      config: Pick<AppConfig, "publicUrl" | "mailTemplatesDir" | "mailRetryBaseSeconds">;
      log: Logger;
    },
  ) {
    this.render = mailTemplates(deps.config.mailTemplatesDir);
  }

  /**
   * Queues a mail to a user. With `executor` (the caller's transaction) the caller kicks
   * delivery after committing: before, the row is not visible to it.
   */
  async enqueue(kind: MailKind, userId: number, executor?: Executor): Promise<void> {
    await (executor ?? this.deps.db).insert(mailOutbox).values({ kind, userId });
    if (!executor) this.kick();
  }

  /**
   * Queues a mail to the active account with this (normalised) email, if there is one: the
   * account is looked up when sending, so the request writes the same row, and takes the same
   * time, whether or not it exists (no enumeration, not even through commit timing). Sent by
   * the next poll, not at once: delivered right after the answer, a known address's token
   * write delayed the client's next request (on the embedded database's one connection, an
   * unknown email's reset measured twice as slow after a known one's).
   */
  async enqueueForEmail(kind: MailKind, email: string): Promise<void> {
    await this.deps.db.insert(mailOutbox).values({ kind, email });
  }

  /** Delivers due mails now and then every second (for retries and other instances' rows). */
  start(intervalMs = 1_000): void {
    this.timer ??= setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
  }

  /** Stops polling and waits for a delivery in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs a delivery round, or asks the running one to go again. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while ((await this.deliverDue()) === BATCH);
        } catch (error) {
          this.deps.log.warn("mail delivery round failed", errorFields(error));
        }
      } while (this.again);
    })().finally(() => (this.running = undefined));
  }

  /**
   * Claims up to BATCH due mails by pushing their next attempt into the future (the lease: a
   * crashed instance's claims come back after it) and sends them. Returns how many it claimed.
   */
  async deliverDue(): Promise<number> {
    const { db, config } = this.deps;
    const backoff = sql`least(3600, ${config.mailRetryBaseSeconds} * power(2, ${mailOutbox.attempts}))`;
    const due = db
      .select({ id: mailOutbox.id })
      .from(mailOutbox)
      .where(
        and(
          isNull(mailOutbox.sentAt),
          lte(mailOutbox.nextAttemptAt, sql`now()`),
          gt(mailOutbox.createdAt, sql`now() - make_interval(secs => ${GIVE_UP_AFTER_SECONDS})`),
        ),
      )
      .orderBy(mailOutbox.id)
      .limit(BATCH)
      .for("update", { skipLocked: true });
    const claimed = await db
      .update(mailOutbox)
      .set({ attempts: sql`${mailOutbox.attempts} + 1`, nextAttemptAt: sql`now() + make_interval(secs => ${backoff})` })
      .where(inArray(mailOutbox.id, due))
      .returning({ id: mailOutbox.id, kind: mailOutbox.kind, userId: mailOutbox.userId, email: mailOutbox.email, attempts: mailOutbox.attempts });
    for (const mail of claimed) await this.deliver(mail);
    return claimed.length;
  }

  private async deliver(mail: { id: number; kind: MailKind; userId: number | null; email: string | null; attempts: number }) {
    const { db, tokens, settings, transport, config, log } = this.deps;
    try {
      const recipient = mail.userId !== null ? eq(users.id, mail.userId) : eq(users.email, mail.email!);
      const [user] = await db
        .select({ id: users.id, email: users.email, isActive: users.isActive, verified: users.emailVerifiedAt })
        .from(users)
        .where(recipient);
      // No such account, not active, or (asked for by email) already verified: nothing to send,
      // and nothing told to the requester.
      if (user?.isActive && !(mail.kind === "email_verification" && mail.email !== null && user.verified)) {
        const lifetime =
          mail.kind === "password_reset" ? (await settings.current()).password_reset_lifetime : EMAIL_VERIFICATION_LIFETIME_SECONDS;
        const token = await tokens.issue(user.id, mail.kind, lifetime);
        const uid = encodeUid(user.id);
        const link = `${config.publicUrl}${LINK_PATHS[mail.kind]}?uid=${uid}&token=${encodeURIComponent(token)}`;
        const content = this.render(mail.kind, { link, token, uid, email: user.email, lifetime: inWords(lifetime) });
        await transport({ kind: mail.kind, to: user.email, link, ...content });
      }
      await db.update(mailOutbox).set({ sentAt: sql`now()`, lastError: null }).where(eq(mailOutbox.id, mail.id));
    } catch (error) {
      const reason = (error as Error)?.message ?? String(error);
      log.warn("mail delivery failed, will retry", { kind: mail.kind, mail_id: mail.id, attempt: mail.attempts, reason });
      await db.update(mailOutbox).set({ lastError: reason.slice(0, 500) }).where(eq(mailOutbox.id, mail.id));
    }
  }
}
