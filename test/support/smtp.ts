import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  to: string[];
  subject: string;
  /** The whole message, quoted-printable decoded: text and HTML parts both. */
  body: string;
}

/** Quoted-printable, as nodemailer writes long lines: soft breaks and =XX bytes. */
const decodeQuotedPrintable = (text: string) =>
  Buffer.from(
    text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");

/**
 * A real SMTP server in this process (smtp-server), on `port` or a free one, collecting every
 * mail it accepts. `close()` takes it down (an outage); `startSmtpServer(port)` brings it back.
 */
export async function startSmtpServer(port = 0) {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    // close() ends clients' open connections after this long instead of 30 s: authd keeps one.
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        received.push({
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          subject: raw.match(/^Subject: (.*)$/m)?.[1]?.trim() ?? "",
          body: decodeQuotedPrintable(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const boundPort = (server.server.address() as AddressInfo).port;
  return {
    port: boundPort,
    url: `smtp://127.0.0.1:${boundPort}`,
    received,
    /** The mails to `address` (with this subject) so far, waiting up to `timeoutMs` for at least `count`. */
    async mailsTo(address: string, { count = 1, timeoutMs = 10_000, subject }: { count?: number; timeoutMs?: number; subject?: string } = {}): Promise<ReceivedMail[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mails = received.filter((mail) => mail.to.includes(address) && (subject === undefined || mail.subject === subject));
        if (mails.length >= count || Date.now() > deadline) return mails;
        await Bun.sleep(25);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The token a mail carries (after "token: " in its text). */
export const tokenIn = (mail: ReceivedMail) => mail.body.match(/token[^:]*: (?:<code>)?([A-Za-z0-9_-]{20,})/)?.[1];
