import type nodemailer from "nodemailer";
import type { AppConfig } from "../config";
import type { Logger } from "../logger";
import type { MailKind } from "./templates";

export interface OutgoingMail {
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html: string;
  link: string;
}

export type MailTransport = (mail: OutgoingMail) => Promise<void>;

/**
 * SMTP through nodemailer when SMTP_URL is set (smtp:// or smtps://, credentials in the URL).
 * Without it every mail is written to the log: its kind and recipient at info, the link (which
 * carries the token) only at debug. Never lost silently, never a secret at info.
 */
export function mailTransport(config: Pick<AppConfig, "smtpUrl" | "mailFrom">, log: Logger): MailTransport {
  if (!config.smtpUrl) {
    return async ({ kind, to, link }) => {
      log.info("mail not sent: no SMTP_URL (set it to deliver mail)", { kind, to });
      log.debug("mail link", { kind, to, link });
    };
  }
  // Imported only here: nodemailer loads node:http, node:https, node:zlib and more, memory a
  // server without SMTP_URL should not hold. An unreachable server must fail an attempt in
  // seconds (the outbox retries), not minutes.
  const transporter = import("nodemailer").then(({ default: nodemailer }) =>
    nodemailer.createTransport({
      url: config.smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as Parameters<typeof nodemailer.createTransport>[0]),
  );
  return async ({ to, subject, text, html }) => {
    await (await transporter).sendMail({ from: config.mailFrom, to, subject, text, html });
  };
}
