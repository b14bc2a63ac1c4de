// Pinned chats (kept at the top of the chat list, a mark in the row, a toggle
// in the chat header) and searching within the open chat (Ctrl+F, the scope
// choice in the search dialog).
import { callsOf, chatItem, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

/** The chat list's rows, top to bottom, by chat id. */
const order = (page: Page) =>
  page.getByTestId("chat-item").evaluateAll((items) => items.map((el) => el.getAttribute("data-chat-id")));

test.describe("pinned chats", () => {
  test("pinning moves a chat to the top with a mark; unpinning puts it back by activity", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await expect.poll(() => order(page)).toEqual(["chat-mina", "chat-hiking", "chat-joon"]);
    await expect(page.getByTestId("pinned-indicator")).toHaveCount(0);

    await chatItem(page, "chat-joon").click();
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Joon Lee");
    const pin = page.getByTestId("pin-toggle");
    await expect(pin).toHaveAccessibleName("Pin chat");
    await pin.click();

    await expect.poll(() => order(page)).toEqual(["chat-joon", "chat-mina", "chat-hiking"]);
    expect(await callsOf(page, "set_pinned")).toEqual([{ chatId: "chat-joon", pinned: true }]);
    const joon = chatItem(page, "chat-joon");
    await expect(joon).toHaveAttribute("data-pinned", "true");
    await expect(joon.getByTestId("pinned-indicator")).toHaveCount(1);
    await expect(joon).toHaveAttribute("aria-label", /^Joon Lee, pinned, /);
    await expect(pin).toHaveAccessibleName("Unpin chat");
    await shot(page, "pinned-chat");

    // Newer activity elsewhere does not move another chat above a pinned one.
    await page.evaluate(() => window.__fake.reply("chat-hiking", "Anyone up for a sunrise start?"));
    await expect.poll(() => order(page)).toEqual(["chat-joon", "chat-hiking", "chat-mina"]);

    await pin.click();
    await expect.poll(() => order(page)).toEqual(["chat-hiking", "chat-mina", "chat-joon"]);
    await expect(joon).toHaveAttribute("data-pinned", "false");
    await expect(page.getByTestId("pinned-indicator")).toHaveCount(0);
    await expect(pin).toHaveAccessibleName("Pin chat");
  });

  test("a pin the core refuses is said in the header; nothing moves", async ({ app: page }) => {
    await chatItem(page, "chat-joon").click();
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Joon Lee");
    await page.evaluate(() =>
      window.__fake.failNext("set_pinned", { code: "storage_error", message: "the disk is full", retryable: true }),
    );
    await page.getByTestId("pin-toggle").click();
    await expect(page.getByTestId("pin-error")).toHaveText("Couldn't pin this chat: the disk is full");
    await expect(page.getByRole("alert").filter({ hasText: "Couldn't pin" })).toBeVisible();
    await expect.poll(() => order(page)).toEqual(["chat-mina", "chat-hiking", "chat-joon"]);
    await expect(chatItem(page, "chat-joon")).toHaveAttribute("data-pinned", "false");
    await shot(page, "pin-error");

    // The error belongs to that chat: another chat does not show it, and coming back it is gone.
    await chatItem(page, "chat-mina").click();
    await expect(page.getByTestId("pin-error")).toHaveCount(0);
    await chatItem(page, "chat-joon").click();
    await expect(page.getByTestId("pin-error")).toHaveCount(0);

    // Trying again works and clears the error.
    await page.getByTestId("pin-toggle").click();
    await expect(page.getByTestId("pin-error")).toHaveCount(0);
    await expect.poll(() => order(page)).toEqual(["chat-joon", "chat-mina", "chat-hiking"]);
  });

  test.describe("in Korean", () => {
    test.use({ locale: "ko-KR" });

    test("the toggle and the row's mark speak Korean", async ({ app: page }) => {
      await expect(messages(page)).toHaveCount(4);
      const pin = page.getByTestId("pin-toggle");
      await expect(pin).toHaveAccessibleName("채팅 고정");
      await pin.click();
      await expect(pin).toHaveAccessibleName("채팅 고정 해제");
      await expect(chatItem(page, "chat-mina")).toHaveAttribute("aria-label", /^Mina Park, 고정됨, /);
      await expect(chatItem(page, "chat-mina").getByTestId("pinned-indicator").locator("title")).toHaveText("고정됨");
      await shot(page, "pinned-chat-ko");
    });
  });
});

test.describe("search within a chat", () => {
  const dialog = (page: Page) => page.getByRole("dialog", { name: "Search" });
  const input = (page: Page) => dialog(page).getByLabel("Search messages");
  const hits = (page: Page) => dialog(page).getByTestId("search-hit");
  const scope = (page: Page) => dialog(page).getByRole("group", { name: "Search in" });

  test("Ctrl+F searches the open chat; All chats finds the others too; a hit still opens", async ({ app: page }) => {
    await chatItem(page, "chat-hiking").click();
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Weekend hiking");

    await page.keyboard.press("Control+f");
    await expect(dialog(page)).toBeVisible();
    await expect(input(page)).toBeFocused();
    const inChat = scope(page).getByRole("radio", { name: "In Weekend hiking" });
    const all = scope(page).getByRole("radio", { name: "All chats" });
    await expect(inChat).toBeChecked();

    // Entered at once: this test is about where the search looks, not the typing pause
    // (a stall between keys on a loaded machine would send a search for a prefix).
    await input(page).fill("north gate");
    await expect(hits(page)).toHaveCount(1);
    await expect(hits(page).first()).toContainText("Weekend hiking");
    expect(await callsOf(page, "search")).toEqual([{ query: "north gate", chatId: "chat-hiking" }]);
    await shot(page, "search-in-chat");

    // Changing the scope searches again, in every chat.
    await all.check();
    await expect(hits(page)).toHaveCount(2);
    await expect(hits(page).nth(1)).toContainText("Mina Park");
    expect((await callsOf(page, "search")).at(-1)).toEqual({ query: "north gate" });
    await shot(page, "search-all-chats");

    // The scope is a radio group: arrow keys move between the choices (and search again).
    await all.focus();
    await page.keyboard.press("ArrowRight");
    await expect(inChat).toBeChecked();
    await expect(hits(page)).toHaveCount(1);
    expect((await callsOf(page, "search")).at(-1)).toEqual({ query: "north gate", chatId: "chat-hiking" });

    // Jumping to the hit still works.
    await hits(page).first().click();
    await expect(dialog(page)).toHaveCount(0);
    const target = messageWith(page, "Let's meet at 7:30 at the north gate.");
    await expect(target).toHaveAttribute("data-flash", "true");
    await expect(target).toBeInViewport();
  });

  test("Ctrl+K searches all chats, and switches an open search back to them", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.keyboard.press("Control+k");
    await expect(scope(page).getByRole("radio", { name: "All chats" })).toBeChecked();
    await input(page).pressSequentially("north gate");
    await expect(hits(page)).toHaveCount(2);

    await page.keyboard.press("Control+f");
    await expect(scope(page).getByRole("radio", { name: "In Mina Park" })).toBeChecked();
    await expect(hits(page)).toHaveCount(1);
    await expect(hits(page).first()).toContainText("Yes! 7:30 at the north gate.");

    await page.keyboard.press("Control+k");
    await expect(scope(page).getByRole("radio", { name: "All chats" })).toBeChecked();
    await expect(hits(page)).toHaveCount(2);
  });

  test("the fake answers a search in an unknown chat like the core", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const error = await page.evaluate(() => {
      const ipc = (window as unknown as { __TAURI_INTERNALS__: { invoke: (cmd: string, args: object) => Promise<unknown> } })
        .__TAURI_INTERNALS__;
      return ipc.invoke("search", { query: "trail", chatId: "chat-nope" }).catch((e: unknown) => e);
    });
    expect(error).toMatchObject({ code: "unknown_chat" });
  });
});
