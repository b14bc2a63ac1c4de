// The text size (how big everything in the windows is): chosen in Settings → Appearance, or with
// Ctrl+Plus, Ctrl+Minus and Ctrl+0 anywhere; kept by the core, which sizes every window's content
// (the webview's zoom, checked in the real window by tests/e2e/specs/text-size.test.mjs).
import { callsOf, expect, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const settingsDialog = (page: Page, name = "Settings") => page.getByRole("dialog", { name });

/** The text sizes the UI asked the core to keep, in order. */
const zooms = async (page: Page) =>
  (await callsOf(page, "update_settings"))
    .map((args) => (args as { settings: { text_zoom?: number } }).settings.text_zoom)
    .filter((zoom) => zoom !== undefined);

test.describe("text size", () => {
  test("Settings offers the sizes, the choice is kept and nothing else changes", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.getByRole("button", { name: "Settings" }).click();
    const size = settingsDialog(page).getByLabel("Text size");
    await expect(size).toHaveValue("100");
    await expect(size.locator("option")).toHaveText(["80%", "90%", "100% (default)", "110%", "125%", "150%", "175%", "200%"]);
    await expect(size).toHaveAccessibleDescription(/Ctrl\+Plus makes it bigger, Ctrl\+Minus smaller, Ctrl\+0 the default size/);
    await size.selectOption("125");
    await expect.poll(() => zooms(page)).toEqual([125]);
    const [edit] = (await callsOf(page, "update_settings")).map((a) => (a as { settings: object }).settings);
    expect(edit).not.toHaveProperty("theme");
    expect(edit).not.toHaveProperty("language");
    await shot(page, "text-size-settings");

    // Kept: Settings opened again shows it.
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Settings" }).click();
    await expect(settingsDialog(page).getByLabel("Text size")).toHaveValue("125");
  });

  test("Ctrl+Plus, Ctrl+Minus and Ctrl+0 step through the sizes from anywhere, up to the largest", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.getByTestId("composer").click();
    await page.keyboard.press("Control+Equal");
    await expect.poll(() => zooms(page)).toEqual([110]);
    // Shift for the plus sign, as on most keyboards.
    await page.keyboard.press("Control+Shift+Equal");
    await expect.poll(() => zooms(page)).toEqual([110, 125]);
    await page.keyboard.press("Control+Minus");
    await expect.poll(() => zooms(page)).toEqual([110, 125, 110]);
    await page.keyboard.press("Control+Digit0");
    await expect.poll(() => zooms(page)).toEqual([110, 125, 110, 100]);
    // At the default, Ctrl+0 has nothing to do.
    await page.keyboard.press("Control+Digit0");
    for (let i = 0; i < 6; i++) await page.keyboard.press("Control+Equal");
    await expect.poll(() => zooms(page)).toEqual([110, 125, 110, 100, 110, 125, 150, 175, 200]);
    // The composer was not typed into.
    await expect(page.getByTestId("composer")).toHaveValue("");
    await page.getByRole("button", { name: "Settings" }).click();
    await expect(settingsDialog(page).getByLabel("Text size")).toHaveValue("200");
  });

  test("a size the core refuses is said in Settings and the choice goes back", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.getByRole("button", { name: "Settings" }).click();
    await page.evaluate(() =>
      window.__fake.failNext("update_settings", { code: "io", message: "the settings file is read-only", retryable: true }),
    );
    const size = settingsDialog(page).getByLabel("Text size");
    await size.selectOption("150");
    await expect(settingsDialog(page).getByRole("alert")).toHaveText("Couldn't save: the settings file is read-only");
    await expect(size).toHaveValue("100");
  });
});

test.describe("in Korean", () => {
  test.use({ locale: "ko-KR" });

  test("the text size is offered in Korean", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.getByRole("button", { name: "설정", exact: true }).click();
    const size = settingsDialog(page, "설정").getByLabel("글자 크기");
    await expect(size.locator("option:checked")).toHaveText("100% (기본)");
    await expect(size).toHaveAccessibleDescription(/Ctrl\+Plus: 크게, Ctrl\+Minus: 작게, Ctrl\+0: 기본 크기/);
    await size.selectOption("90");
    await expect.poll(() => zooms(page)).toEqual([90]);
    await shot(page, "text-size-settings-korean");
  });
});
