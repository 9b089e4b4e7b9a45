import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { CHROMIUM, launchChromium } from "../support/browser";
import { setupApp } from "../support/helpers";

/** Swagger UI at /api-doc in chromium: a bearer token pasted into it is not kept by the browser. */
setDefaultTimeout(60_000);

const t = await setupApp();
const { access_token } = await t.account();

describe.skipIf(!CHROMIUM)("Swagger UI in chromium", () => {
  const browser = CHROMIUM ? launchChromium() : undefined;
  afterAll(async () => (await browser)?.close());

  test("authorizing with a pasted token stores nothing in localStorage, and a reload forgets it", async () => {
    const base = await t.listen();
    const page = await (await browser!).newPage();
    await page.goto(`${base}/api-doc`);
    await page.click(".swagger-ui .auth-wrapper .authorize");
    await page.fill(".swagger-ui .modal-ux input", access_token);
    await page.click('.swagger-ui .modal-ux button[aria-label="Apply credentials"]');
    await page.waitForSelector('.swagger-ui .modal-ux button:has-text("Logout")');
    await page.click(".swagger-ui .modal-ux button.btn-done");
    expect(await page.locator(".swagger-ui .auth-wrapper .authorize.locked").count()).toBe(1);
    expect(await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length }))).toEqual({ local: 0, session: 0 });
    await page.reload();
    await page.waitForSelector(".swagger-ui .auth-wrapper .authorize");
    expect(await page.locator(".swagger-ui .auth-wrapper .authorize.locked").count()).toBe(0);
    await page.close();
  });
});
