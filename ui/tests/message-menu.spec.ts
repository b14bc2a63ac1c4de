// Every message's menu (right-click, or the Menu key / Shift+F10 on a message reached with the
// keyboard) with the actions that apply to it: copy its text, save its files, and for a message
// the server refused, retry, edit or delete it.
import { callsOf, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const menu = (page: Page) => page.getByRole("menu", { name: "Message actions" });
const COFFEE = "Perfect. I'll bring coffee for everyone.";

test.describe("the message menu", () => {
  test.use({ permissions: ["clipboard-read", "clipboard-write"] });

  test("a right-click opens it at the pointer; Copy text puts the text on the clipboard", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const coffee = messageWith(page, COFFEE);
    await coffee.getByTestId("message-body").click({ button: "right" });
    await expect(menu(page)).toBeVisible();
    await expect(menu(page).getByRole("menuitem")).toHaveText(["Copy text", "Forward…"]);
    await expect(menu(page).getByRole("menuitem", { name: "Copy text" })).toBeFocused();
    await shot(page, "message-menu");

    await menu(page).getByRole("menuitem", { name: "Copy text" }).click();
    await expect(menu(page)).toHaveCount(0);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(COFFEE);
    await expect(coffee.getByTestId("message-copied")).toHaveText("Copied");

    // A click elsewhere closes it without doing anything.
    await coffee.getByTestId("message-body").click({ button: "right" });
    await expect(menu(page)).toBeVisible();
    await page.getByRole("heading", { level: 2 }).click();
    await expect(menu(page)).toHaveCount(0);
  });

  test("from the keyboard: one tab stop, arrows between messages, Shift+F10 opens it, Esc gives the focus back", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    // The newest message is the history's one tab stop, before the composer and its file button.
    await page.getByTestId("composer").focus();
    const focusedIsMessage = () => page.evaluate(() => document.activeElement?.getAttribute("data-testid") === "message");
    for (let i = 0; i < 4 && !(await focusedIsMessage()); i++) await page.keyboard.press("Shift+Tab");
    const newest = messages(page).last();
    await expect(newest).toBeFocused();
    await expect(page.locator('[data-testid="message"][tabindex="0"]')).toHaveCount(1);

    await page.keyboard.press("ArrowUp");
    const coffee = messageWith(page, COFFEE);
    await expect(coffee).toBeFocused();
    await page.keyboard.press("Shift+F10");
    await expect(menu(page)).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(menu(page)).toHaveCount(0);
    await expect(coffee).toBeFocused();
    // The message last reached stays the tab stop.
    await expect(coffee).toHaveAttribute("tabindex", "0");

    await page.keyboard.press("Home");
    await expect(messages(page).first()).toBeFocused();
    await page.keyboard.press("End");
    await expect(newest).toBeFocused();
    await page.keyboard.press("Shift+F10");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain("trail report");
  });

  test("a refused message's menu retries, edits or deletes it", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.evaluate(() => window.__fake.addUnsent("chat-mina", "Here are the photos", "too large"));
    const bad = messageWith(page, "Here are the photos");
    await expect(bad).toHaveAttribute("data-state", "failed");
    await bad.getByTestId("message-body").click({ button: "right" });
    await expect(menu(page).getByRole("menuitem")).toHaveText([
      "Copy text",
      "Retry sending",
      "Edit and send again",
      "Delete unsent message",
    ]);
    await page.keyboard.press("End");
    await expect(menu(page).getByRole("menuitem", { name: "Delete unsent message" })).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(messageWith(page, "Here are the photos")).toHaveCount(0);
    expect((await callsOf(page, "delete_message")).length).toBe(1);
  });
});

test.describe("in Korean", () => {
  test.use({ locale: "ko-KR" });

  test("the menu speaks Korean", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await messageWith(page, COFFEE).getByTestId("message-body").click({ button: "right" });
    const korean = page.getByRole("menu", { name: "메시지 메뉴" });
    await expect(korean.getByRole("menuitem")).toHaveText(["텍스트 복사", "전달…"]);
    await shot(page, "message-menu-korean");
  });
});
