import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../support/browser";
import { decodeJwt, setupApp } from "../support/helpers";

/**
 * The /admin zone in a real browser: Debian's chromium driven by playwright-core (no browser
 * download). .ci/run installs chromium; without it (outside CI) this file is skipped.
 */
setDefaultTimeout(60_000);

const SHOTS = join(import.meta.dir, "../../dist/screenshots");

const t = await setupApp();
const root = await t.superuser();
const staff = await t.account({ username: "Stella Staff" });
await t.setStaff([staff.user.id]);
const plain = await t.account();
const target = await t.account({ username: "Target Person", first_name: "Tara" });
for (let i = 0; i < 25; i++) await t.register(t.uniqueEmail("crowd"));

let base = "";
let browser: Browser;
beforeAll(async () => {
  if (!CHROMIUM) return;
  base = await t.listen();
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

async function signIn(email: string, password = "password123", viewport = { width: 1280, height: 860 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  // The browser logs every 4xx as a console error; the zone's own failures are what count.
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) problems.push(message.text());
  });
  (page as Page & { problems: string[] }).problems = problems;
  await page.goto(`${base}/admin`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("#login-form button[type=submit]");
  return page;
}
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

describe.skipIf(!CHROMIUM)("the /admin zone in chromium", () => {
  test("the page loads only its own assets under a strict CSP", async () => {
    const response = await fetch(`${base}/admin/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await response.text();
    expect(html).not.toMatch(/<script>|https?:\/\//);
  });

  test("a superuser signs in and changes access_token_lifetime; the next token follows", async () => {
    const page = await signIn(root.email);
    await page.waitForSelector("#settings-form");
    await shot(page, "settings-desktop");
    await page.fill("#access_token_lifetime", "123");
    await page.click("#settings-form button[type=submit]");
    await page.waitForSelector("#settings-form .notice");
    const { access_token } = await t.login(plain.email);
    const { payload } = decodeJwt(access_token);
    expect(payload.exp - payload.iat).toBe(123);

    await page.fill("#access_token_lifetime", "0");
    await page.click("#settings-form button[type=submit]");
    const error = await page.waitForSelector('[data-error-for="access_token_lifetime"]');
    expect(await error.textContent()).toContain("1 to 86400");
    await page.fill("#access_token_lifetime", "30");
    await page.click("#settings-form button[type=submit]");
    await page.waitForSelector("#settings-form .notice");
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test("finds a user by search, deactivates them, and their access token is rejected at once", async () => {
    const page = await signIn(root.email);
    await page.waitForSelector("#settings-form");
    await page.click('nav a[href="#/users"]');
    await page.waitForSelector("#user-search");
    await shot(page, "users-desktop");
    await page.fill("#query", "target PERSON");
    await page.click("#user-search button[type=submit]");
    // The unfiltered list holds the target too: wait for the search's own answer, that row
    // alone. (A CSS wait: the zone's CSP refuses the eval a waitForFunction would need.)
    await page.waitForSelector(`tbody tr[data-user-id="${target.user.id}"]:only-child`);
    await page.click(`tr[data-user-id="${target.user.id}"] a`);
    await page.waitForSelector("#user-form");
    await shot(page, "user-desktop");
    const { access_token } = await t.login(target.email);
    expect((await t.request("GET", "/api/me/", { token: access_token })).status).toBe(200);
    await page.uncheck('#user-form input[name="is_active"]');
    await page.click("#user-form button[type=submit]");
    await page.waitForSelector("#user-form .notice");
    expect((await t.request("GET", "/api/me/", { token: access_token })).status).toBe(401);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test("at phone width the same pages fit the screen", async () => {
    const page = await signIn(root.email, "password123", { width: 390, height: 844 });
    await page.waitForSelector("#settings-form");
    await shot(page, "settings-phone");
    await page.goto(`${base}/admin#/users`);
    await page.waitForSelector("#user-search");
    await shot(page, "users-phone");
    await page.goto(`${base}/admin#/users/${target.user.id}`);
    await page.waitForSelector("#user-form");
    await shot(page, "user-phone");
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await page.close();
  });

  test("staff see users and the audit log with no write controls", async () => {
    const page = await signIn(staff.email);
    await page.waitForSelector("main .notice");
    await page.goto(`${base}/admin#/users`);
    await page.waitForSelector("#user-search");
    expect(await page.locator("#create-user").count()).toBe(0);
    await page.goto(`${base}/admin#/users/${plain.user.id}`);
    await page.waitForSelector("#user-form");
    expect(await page.locator("#user-form button[type=submit]").count()).toBe(0);
    expect(await page.locator("#user-form input:not([disabled])").count()).toBe(0);
    expect(await page.locator("#set-password, #delete-user, #revoke-sessions").count()).toBe(0);
    await page.goto(`${base}/admin#/audit`);
    await page.waitForSelector("text=Audit log");
    expect(await page.locator("tbody tr").count()).toBeGreaterThan(0);
    await shot(page, "audit-staff-desktop");
    await page.close();
  });

  test("a superuser sees a locked-out user's lock-out and lifts it; staff see it without the button", async () => {
    const configure = (body: Record<string, number>) => t.request("PATCH", "/api/admin/config/", { token: root.access_token, body });
    await configure({ login_account_rate_limit: 3 });
    try {
      const locked = await t.account();
      for (let i = 0; i < 3; i++)
        await t.request("POST", "/api/login/", { body: { email: locked.email, password: "wrong-password" }, headers: { "x-forwarded-for": `192.0.2.${i + 1}` } });
      const ownerSignsIn = () =>
        t.request("POST", "/api/login/", { body: { email: locked.email, password: "password123" }, headers: { "x-forwarded-for": "198.51.100.5" } });
      expect((await ownerSignsIn()).status).toBe(429);

      const asStaff = await signIn(staff.email);
      await asStaff.waitForSelector("main .notice");
      await asStaff.goto(`${base}/admin#/users/${locked.user.id}`);
      expect(await (await asStaff.waitForSelector("#lockout-state")).textContent()).toContain("refused until");
      expect(await asStaff.locator("#lift-lockout").count()).toBe(0);
      await asStaff.close();

      const page = await signIn(root.email);
      await page.waitForSelector("#settings-form");
      await page.goto(`${base}/admin#/users/${locked.user.id}`);
      expect(await (await page.waitForSelector("#lockout-state")).textContent()).toContain("3 failed sign-ins");
      await shot(page, "lockout-desktop");
      await page.click("#lift-lockout");
      expect(await (await page.waitForSelector("main .notice")).textContent()).toContain("Lock-out lifted");
      expect(await (await page.waitForSelector("#lockout-state")).textContent()).toContain("no failed sign-ins");
      expect((await ownerSignsIn()).status).toBe(200);
      expect(problemsOf(page)).toEqual([]);
      await page.close();
    } finally {
      await configure({ login_account_rate_limit: 50 });
    }
  });

  test("a user who is not staff cannot sign in", async () => {
    const page = await signIn(plain.email);
    const message = await page.waitForSelector("#login-form .notice");
    expect(await message.textContent()).toContain("not staff");
    expect(await page.locator("#nav").isHidden()).toBe(true);
    await page.close();
  });
});
