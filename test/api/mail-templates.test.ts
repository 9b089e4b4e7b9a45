import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mailTemplates } from "../../src/mail/templates";
import type { Logger } from "../../src/logger";
import { setupApp } from "../support/helpers";

const values = { link: "https://auth.example.com/reset-password?uid=MQ&token=abc", token: "abc", uid: "MQ", email: "a@example.com", lifetime: "15 minutes" };

describe("mail templates", () => {
  test("the embedded defaults carry the link and the token, in text and HTML", () => {
    const mail = mailTemplates()("password_reset", values);
    expect(mail.subject).toBe("Reset your password");
    expect(mail.text).toContain(values.link);
    expect(mail.html).toContain("reset-password?uid=MQ&#38;token=abc");
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain("abc");
      expect(part).toContain("15 minutes");
    }
    expect(mailTemplates()("email_verification", values).subject).toBe("Verify your email");
  });

  test("MAIL_TEMPLATES_DIR overrides any file of a kind; values are escaped in HTML", () => {
    const directory = mkdtempSync(join(tmpdir(), "authd-templates-"));
    try {
      writeFileSync(join(directory, "password_reset.subject.txt"), "Nouveau mot de passe\n");
      writeFileSync(join(directory, "password_reset.html"), "<a href=\"{{link}}\">{{email}}</a>");
      const mail = mailTemplates(directory)("password_reset", { ...values, email: "<b>@example.com" });
      expect(mail.subject).toBe("Nouveau mot de passe");
      expect(mail.html).toBe('<a href="https://auth.example.com/reset-password?uid=MQ&#38;token=abc">&#60;b&#62;@example.com</a>');
      expect(mail.text).toContain("Someone asked to reset the password of <b>@example.com.");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
const capture = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
const log: Logger = { debug: capture("debug"), info: capture("info"), warn: capture("warn"), error: capture("error") };
const t = await setupApp({ MAIL_RETRY_BASE_SECONDS: "1" }, log);

describe("without SMTP_URL", () => {
  test("a mail is logged: kind and recipient at info, the link (with its token) only at debug", async () => {
    const { email } = await t.register();
    await t.request("POST", "/api/password/reset/", { body: { email } });
    const deadline = Date.now() + 5_000;
    while (!lines.some((line) => line.fields?.kind === "password_reset") && Date.now() < deadline) await Bun.sleep(20);
    const info = lines.find((line) => line.level === "info" && line.fields?.kind === "password_reset");
    expect(info?.fields).toEqual({ kind: "password_reset", to: email });
    const debug = lines.find((line) => line.level === "debug" && line.fields?.kind === "password_reset");
    expect(String(debug?.fields?.link)).toMatch(/\/reset-password\?uid=\w+&token=/);
    for (const line of lines.filter((line) => line.level !== "debug")) expect(JSON.stringify(line)).not.toContain("token=");
  });
});
