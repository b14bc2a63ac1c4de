// What every spec file shares: the `app` fixture (the fake core installed and
// the UI loaded) and small helpers for the page.
import { test as base, expect, type Page } from "@playwright/test";
import type { Command } from "../src/lib/bindings/Command";
import { installFakeTauri, type FakeOptions } from "./fake-tauri";

export { expect, type Page };

type Fixtures = {
  fakeOptions: FakeOptions;
  /** Install Playwright's fake clock before the page loads (tests then pause and advance it). */
  fakeClock: boolean;
  /** Where the UI is loaded (e.g. "/?chat=chat-mina": a chat window). */
  appPath: string;
  app: Page;
};

// `app`: a page with the fake core installed and the UI loaded. Fails the test
// on any page error or console error (a CSP violation shows up as one), or on a
// JavaScript dialog such as alert().
export const test = base.extend<Fixtures>({
  fakeOptions: [{ signedIn: true }, { option: true }],
  fakeClock: [false, { option: true }],
  appPath: ["/", { option: true }],
  app: async ({ page, fakeOptions, fakeClock, appPath }, use) => {
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on("dialog", (dialog) => {
      problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
      void dialog.dismiss();
    });
    if (fakeClock) await page.clock.install();
    await page.addInitScript(installFakeTauri, fakeOptions);
    await page.goto(appPath);
    await use(page);
    expect(problems, "no page or console errors").toEqual([]);
  },
});

/** A `shot(page, name)` that saves a screenshot of the page as `dir/name.png`. */
export function screenshots(dir: string) {
  return async (page: Page, name: string) => {
    await page.screenshot({ path: `${dir}/${name}.png` });
  };
}

export const messages = (page: Page) => page.getByTestId("message");
export const messageWith = (page: Page, text: string) => messages(page).filter({ hasText: text });
export const chatItem = (page: Page, chatId: string) =>
  page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`);

/** Every call of one command, with its arguments. */
export const callsOf = (page: Page, cmd: Command) =>
  page.evaluate((cmd) => window.__fake.calls.filter((c) => c.cmd === cmd).map((c) => c.args), cmd);
