import { type Browser, chromium } from "playwright-core";

/**
 * Debian's chromium, driven by playwright-core (no browser download). .ci/run installs it;
 * without it (outside CI) the browser tests are skipped.
 */
export const CHROMIUM = Bun.which("chromium") ?? Bun.which("chromium-browser");
if (!CHROMIUM && process.env.CI) throw new Error("chromium is missing: .ci/run installs it (apt-get install chromium)");

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM!,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
