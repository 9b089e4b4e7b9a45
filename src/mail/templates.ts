import { readFileSync } from "node:fs";
import { join } from "node:path";

export type MailKind = "password_reset" | "email_verification";

export interface MailValues {
  /** The link to follow, under PUBLIC_URL, carrying the token. */
  link: string;
  token: string;
  /** The user's id as Django encodes it (base64url of its digits), for dj-rest-auth clients. */
  uid: string;
  email: string;
  /** How long the token lasts, in words ("15 minutes"). */
  lifetime: string;
}

interface Template {
  subject: string;
  text: string;
  html: string;
}

const DEFAULTS: Record<MailKind, Template> = {
  password_reset: {
    subject: "Reset your password",
    text: `Someone asked to reset the password of {{email}}.

To choose a new password, open this link within {{lifetime}}:
{{link}}

Or send this token with your new password: {{token}}
(uid: {{uid}})

If it was not you, ignore this mail: your password stays as it is.
`,
    html: `<p>Someone asked to reset the password of {{email}}.</p>
<p>To choose a new password, open this link within {{lifetime}}:<br><a href="{{link}}">{{link}}</a></p>
<p>Or send this token with your new password: <code>{{token}}</code> (uid: <code>{{uid}}</code>)</p>
<p>If it was not you, ignore this mail: your password stays as it is.</p>
`,
  },
  email_verification: {
    subject: "Verify your email",
    text: `Please confirm that {{email}} is your address by opening this link within {{lifetime}}:
{{link}}

Or send this token to verify it: {{token}}
`,
    html: `<p>Please confirm that {{email}} is your address by opening this link within {{lifetime}}:<br><a href="{{link}}">{{link}}</a></p>
<p>Or send this token to verify it: <code>{{token}}</code></p>
`,
  },
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

const fill = (template: string, values: MailValues, escape: (text: string) => string) =>
  template.replace(/\{\{(\w+)\}\}/g, (placeholder, name: string) =>
    name in values ? escape(values[name as keyof MailValues]) : placeholder,
  );

/**
 * The mail of a kind: the embedded default, or MAIL_TEMPLATES_DIR's `<kind>.subject.txt`,
 * `<kind>.txt` and `<kind>.html` where present. Placeholders: {{link}}, {{token}}, {{uid}},
 * {{email}}, {{lifetime}} (escaped in HTML).
 */
export function mailTemplates(directory?: string) {
  const templates = Object.fromEntries(
    (Object.keys(DEFAULTS) as MailKind[]).map((kind) => {
      const read = (file: string, fallback: string) => {
        if (!directory) return fallback;
        try {
          return readFileSync(join(directory, file), "utf8");
        } catch {
          return fallback;
        }
      };
      const fallback = DEFAULTS[kind];
      return [
        kind,
        {
          subject: read(`${kind}.subject.txt`, fallback.subject).trim(),
          text: read(`${kind}.txt`, fallback.text),
          html: read(`${kind}.html`, fallback.html),
        },
      ];
    }),
  ) as Record<MailKind, Template>;

  return (kind: MailKind, values: MailValues) => {
    const template = templates[kind];
    return {
      subject: fill(template.subject, values, (text) => text.replace(/[\r\n]/g, " ")),
      text: fill(template.text, values, (text) => text),
      html: fill(template.html, values, escapeHtml),
    };
  };
}
