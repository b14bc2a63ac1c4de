// Unsent messages (failed, held behind a failed one; retry, retry all, delete),
// search (Ctrl+K, highlights as text, jumping to a hit) and the catch-up
// progress in the connection banner.
import { callsOf, chatItem, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const addUnsent = (page: Page, chatId: string, body: string, failure: string | null = null) =>
  page.evaluate(([chatId, body, failure]) => window.__fake.addUnsent(chatId!, body!, failure), [chatId, body, failure]);

const HELD = "Waiting for the failed message above";

test.describe("unsent messages", () => {
  test("a failed message shows its reason, Retry and Delete; later ones wait behind it", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const failed = await addUnsent(page, "chat-mina", "Here are the photos from the trail", "the server refused it (too large)");
    await addUnsent(page, "chat-mina", "Did they come through?");

    const bad = messageWith(page, "photos from the trail");
    await expect(bad).toHaveAttribute("data-state", "failed");
    await expect(bad.getByTestId("message-failure")).toHaveText("Failed: the server refused it (too large)");
    const retry = bad.getByRole("button", { name: "Retry sending" });
    const del = bad.getByRole("button", { name: "Delete unsent message" });
    await expect(retry).toHaveText("Retry");
    await expect(del).toHaveText("Delete");

    // Held behind it: not the plain "Sending…" clock.
    const held = messageWith(page, "Did they come through?");
    await expect(held).toHaveAttribute("data-state", "pending");
    await expect(held).toHaveAttribute("data-held", "true");
    await expect(held.getByTestId("message-status")).toHaveText(HELD);
    await expect(held).not.toContainText("Sending…");
    // One failed message: no "Retry all".
    await expect(page.getByRole("button", { name: "Retry all" })).toHaveCount(0);
    await expect(chatItem(page, "chat-mina")).toContainText("You: Did they come through?");
    await shot(page, "failed-message");

    // A retry the core refuses is said under the message; nothing changes.
    await page.evaluate(() =>
      window.__fake.failNext("retry_message", { code: "not_found", message: "that message is gone", retryable: false }),
    );
    await retry.click();
    await expect(bad.getByRole("alert")).toHaveText("Couldn't retry: that message is gone");
    await expect(bad).toHaveAttribute("data-state", "failed");

    // Retry: the same message is sent again and turns pending; the held one is no longer held.
    await retry.click();
    await expect(bad).toHaveAttribute("data-state", "pending");
    await expect(bad).toContainText("Sending…");
    await expect(bad.getByRole("button")).toHaveCount(0);
    await expect(bad.getByRole("alert")).toHaveCount(0);
    await expect(held).not.toHaveAttribute("data-held");
    await expect(held).toContainText("Sending…");
    await expect(page.getByText(HELD)).toHaveCount(0);
    expect(await callsOf(page, "retry_message")).toEqual([
      { clientMsgId: failed.client_msg_id },
      { clientMsgId: failed.client_msg_id },
    ]);
    await expect(messages(page)).toHaveCount(6); // updated in place
  });

  test("Delete removes an unsent message at once; message_removed follows and the preview is restored", async ({
    app: page,
  }) => {
    await chatItem(page, "chat-joon").click();
    await expect(messages(page)).toHaveCount(2);
    const failed = await addUnsent(page, "chat-joon", "Can I borrow the sequel too?", "you can't write in this chat");
    const bad = messageWith(page, "borrow the sequel");
    await expect(bad).toHaveAttribute("data-state", "failed");
    await expect(chatItem(page, "chat-joon")).toContainText("Not sent ·");

    await bad.getByRole("button", { name: "Delete unsent message" }).click();
    await expect(bad).toHaveCount(0);
    await expect(messages(page)).toHaveCount(2);
    expect(await callsOf(page, "delete_message")).toEqual([{ clientMsgId: failed.client_msg_id }]);
    const removed = await page.evaluate(() => window.__fake.emitted.filter((e) => e.type === "message_removed"));
    expect(removed).toEqual([{ type: "message_removed", chat_id: "chat-joon", client_msg_id: failed.client_msg_id }]);
    // The chat's preview is its last real message again (from chat_updated).
    await expect(chatItem(page, "chat-joon")).toContainText("You: Thanks for the book!");
    await expect(chatItem(page, "chat-joon")).not.toContainText("Not sent");

    // Deleting the failed one releases the message held behind it.
    await addUnsent(page, "chat-joon", "First try", "the server refused it");
    await addUnsent(page, "chat-joon", "Second, held");
    const held = messageWith(page, "Second, held");
    await expect(held.getByTestId("message-status")).toHaveText(HELD);
    await messageWith(page, "First try").getByRole("button", { name: "Delete unsent message" }).click();
    await expect(messageWith(page, "First try")).toHaveCount(0);
    await expect(held).toContainText("Sending…");
    await expect(page.getByText(HELD)).toHaveCount(0);
  });

  test("message_removed from the core drops the message, in the open chat and in a chat seen before", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    const a = await addUnsent(page, "chat-mina", "Unsent one", "offline for too long");
    await expect(messageWith(page, "Unsent one")).toHaveCount(1);
    await page.evaluate((id) => window.__fake.emit({ type: "message_removed", chat_id: "chat-mina", client_msg_id: id }), a.client_msg_id!);
    await expect(messageWith(page, "Unsent one")).toHaveCount(0);
    await expect(messages(page)).toHaveCount(4);

    // In a chat that is not open: its cached messages lose it too (seen when it is shown again,
    // before its history is read anew).
    const b = await addUnsent(page, "chat-mina", "Another unsent one", "offline for too long");
    await chatItem(page, "chat-joon").click();
    await expect(messages(page)).toHaveCount(2);
    await page.evaluate((id) => window.__fake.emit({ type: "message_removed", chat_id: "chat-mina", client_msg_id: id }), b.client_msg_id!);
    await page.evaluate(() => window.__fake.failNext("open_chat", { code: "offline", message: "no connection", retryable: true }));
    await chatItem(page, "chat-mina").click();
    await expect(page.getByText("Couldn't open this chat: no connection")).toBeVisible();
    await expect(messageWith(page, "Another unsent one")).toHaveCount(0);
    await expect(messages(page)).toHaveCount(4);
  });

  test("Retry all: shown from two failed messages in the chat, retries them all", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const retryAll = page.getByRole("button", { name: "Retry all" });
    await addUnsent(page, "chat-mina", "First failed", "no connection for 24 hours");
    await expect(messageWith(page, "First failed")).toHaveAttribute("data-state", "failed");
    await expect(retryAll).toHaveCount(0);
    await addUnsent(page, "chat-mina", "Second failed", "no connection for 24 hours");
    await addUnsent(page, "chat-mina", "Held after them");
    await expect(retryAll).toBeVisible();
    await expect(retryAll).toHaveAttribute("title", "Send the 2 failed messages in this chat again");
    await expect(messageWith(page, "Held after them").getByTestId("message-status")).toHaveText(HELD);
    await shot(page, "retry-all");

    await retryAll.click();
    expect(await callsOf(page, "retry_all")).toEqual([{ chatId: "chat-mina" }]);
    await expect(messageWith(page, "First failed")).toHaveAttribute("data-state", "pending");
    await expect(messageWith(page, "Second failed")).toHaveAttribute("data-state", "pending");
    await expect(page.getByText(HELD)).toHaveCount(0);
    await expect(retryAll).toHaveCount(0);
  });
});

test.describe("search", () => {
  const dialog = (page: Page) => page.getByRole("dialog", { name: "Search" });
  const input = (page: Page) => dialog(page).getByLabel("Search messages");
  const hits = (page: Page) => dialog(page).getByTestId("search-hit");

  test("Ctrl+K opens it; hits are highlighted as text; a click opens the chat at the message", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.keyboard.press("Control+k");
    await expect(dialog(page)).toBeVisible();
    await expect(dialog(page).getByRole("heading", { name: "Search" })).toBeVisible();
    await expect(input(page)).toBeFocused();
    await expect(dialog(page)).toContainText("Searching messages on this computer — works offline");

    // Typed quickly: one search, after the pause.
    await input(page).pressSequentially("trail");
    await expect(hits(page)).toHaveCount(2);
    expect(await callsOf(page, "search")).toEqual([{ query: "trail" }]);

    // Newest first: chat title, sender, time, and the body with the match in a <mark>.
    const first = hits(page).nth(0);
    await expect(first).toContainText("Mina Park");
    await expect(first.getByTestId("search-hit-body")).toHaveText(
      "Did you see the trail report? The upper path is muddy after the rain.",
    );
    await expect(first.locator("mark")).toHaveText(["trail"]);
    const second = hits(page).nth(1);
    await expect(second).toContainText("Weekend hiking");
    await expect(second).toContainText("Joon Lee");
    await expect(second.locator("time")).toHaveCount(1);
    await expect(second.locator("mark")).toHaveText(["trail"]);
    await expect(second.getByTestId("search-hit-body")).toHaveText("Who's in for the ridge trail this weekend?");
    // The core's markers never reach the page.
    expect(await page.evaluate(() => /[\u0002\u0003]/.test(document.body.innerHTML))).toBe(false);
    await shot(page, "search-dialog");

    // Clicking a hit closes the search, opens its chat and brings the message into view, highlighted.
    await second.click();
    await expect(dialog(page)).toHaveCount(0);
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Weekend hiking");
    await expect(messages(page)).toHaveCount(12);
    const target = messageWith(page, "Who's in for the ridge trail");
    await expect(target).toHaveAttribute("data-flash", "true");
    await expect(target).toBeInViewport();
    // Scrolled up to it (a chat otherwise opens at its newest message).
    const log = page.getByTestId("message-list");
    expect(await log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeGreaterThan(50);
    await shot(page, "search-jump");
    // The highlight goes after a moment.
    await expect(target).not.toHaveAttribute("data-flash", "true", { timeout: 5_000 });
  });

  test("the sidebar button opens it; words match word starts; Enter on a hit opens it; Esc closes", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    const button = page.getByRole("button", { name: "Search messages" });
    await button.click();
    await expect(dialog(page)).toBeVisible();
    await expect(input(page)).toBeFocused();

    // Every word must match (as the start of a word): both highlighted.
    await input(page).fill("north gat");
    await expect(hits(page)).toHaveCount(2);
    await expect(hits(page).nth(0).locator("mark")).toHaveText(["north", "gat"]);
    await expect(hits(page).nth(0)).toContainText("Weekend hiking");
    await expect(hits(page).nth(1).locator("mark")).toHaveText(["north", "gat"]);
    await expect(hits(page).nth(1)).toContainText("You");

    // Arrow down to a hit, Enter opens it (here in the chat already open).
    await input(page).press("ArrowDown");
    await expect(hits(page).nth(0)).toBeFocused();
    await page.keyboard.press("ArrowDown");
    await expect(hits(page).nth(1)).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(dialog(page)).toHaveCount(0);
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Mina Park");
    await expect(messageWith(page, "Yes! 7:30 at the north gate.")).toHaveAttribute("data-flash", "true");

    // Nothing found.
    await page.keyboard.press("Control+k");
    await input(page).fill("zebra");
    await expect(dialog(page).getByText("No messages found")).toBeVisible();
    await expect(hits(page)).toHaveCount(0);

    // Errors are said inline.
    await page.evaluate(() =>
      window.__fake.failNext("search", { code: "store_error", message: "the local cache could not be read", retryable: true }),
    );
    await input(page).fill("coffee");
    await expect(dialog(page).getByRole("alert")).toHaveText("Couldn't search: The local cache could not be read");
    await input(page).fill("coffe");
    await expect(hits(page)).toHaveCount(1);
    await expect(hits(page).locator("mark")).toHaveText(["coffe"]);
    await expect(dialog(page).getByRole("alert")).toHaveCount(0);

    // Too long: said at once, nothing asked.
    const before = (await callsOf(page, "search")).length;
    await input(page).fill("x".repeat(201));
    await expect(dialog(page).getByRole("alert")).toHaveText("A search is at most 200 characters.");
    await page.waitForTimeout(300);
    expect(await callsOf(page, "search")).toHaveLength(before);

    // Esc closes; the focus goes back where it was (the button, focused again after the last search).
    await page.keyboard.press("Escape");
    await expect(dialog(page)).toHaveCount(0);
    await expect(button).toBeFocused();
    await page.getByTestId("composer").click();
    await page.keyboard.press("Control+k");
    await expect(input(page)).toBeFocused();
    await expect(input(page)).toHaveValue(""); // a fresh search each time
    await page.keyboard.press("Escape");
    await expect(dialog(page)).toHaveCount(0);
    await expect(page.getByTestId("composer")).toBeFocused();
  });

  test("a hostile body in a hit stays inert text", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const payload = "<img src=x onerror=alert(1)> <b>bold</b> <script>window.__xss=1</script>";
    await page.evaluate((body) => window.__fake.reply("chat-mina", body), payload);
    await expect(messages(page)).toHaveCount(5);

    await page.keyboard.press("Control+k");
    await input(page).fill("onerror bold");
    await expect(hits(page)).toHaveCount(1);
    const body = hits(page).nth(0).getByTestId("search-hit-body");
    await expect(body).toHaveText(payload);
    await expect(body.locator("mark")).toHaveText(["onerror", "bold"]);
    // Only <mark> elements with text in them: nothing was parsed as HTML.
    expect(await body.evaluate((el) => Array.from(el.querySelectorAll("*")).map((e) => e.tagName))).toEqual([
      "MARK",
      "MARK",
    ]);
    expect(await page.evaluate(() => document.querySelectorAll("img, b, script:not([src])").length)).toBe(0);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
  });
});

test.describe("search while locking", () => {
  test.use({ fakeOptions: { signedIn: true, passcode: "2468" } });
  const dialog = (page: Page) => page.getByRole("dialog", { name: "Search" });

  test("locking closes the search and drops its hits; Ctrl+K does nothing while locked", async ({ app: page }) => {
    await page.getByLabel("Passcode").fill("2468");
    await page.getByRole("button", { name: "Unlock" }).click();
    await expect(messages(page)).toHaveCount(4);
    await page.keyboard.press("Control+k");
    await dialog(page).getByLabel("Search messages").fill("coffee");
    await expect(dialog(page).getByTestId("search-hit")).toHaveCount(1);

    await page.evaluate(() => window.__fake.lock());
    await expect(page.getByRole("dialog", { name: "Outlast is locked" })).toBeVisible();
    await expect(dialog(page)).toHaveCount(0);
    expect(await page.evaluate(() => document.documentElement.outerHTML.includes("coffee"))).toBe(false);
    await page.keyboard.press("Control+k");
    await expect(dialog(page)).toHaveCount(0);

    await page.getByLabel("Passcode").fill("2468");
    await page.getByRole("button", { name: "Unlock" }).click();
    await expect(messages(page)).toHaveCount(4);
    await expect(dialog(page)).toHaveCount(0);
  });
});

test("a match deep in a long message is shown with the text around it, cut short", async ({ app: page }) => {
  await expect(messages(page)).toHaveCount(4);
  const body = `${"lorem ipsum ".repeat(4000)}the needle is here ${"dolor sit amet ".repeat(4000)}`;
  await page.evaluate((body) => window.__fake.reply("chat-mina", body), body);
  await expect(messages(page)).toHaveCount(5);
  await page.keyboard.press("Control+k");
  const dialog = page.getByRole("dialog", { name: "Search" });
  await dialog.getByLabel("Search messages").fill("needle");
  const snippet = dialog.getByTestId("search-hit-body");
  await expect(snippet).toHaveCount(1);
  await expect(snippet.locator("mark")).toHaveText(["needle"]);
  const text = (await snippet.textContent()) ?? "";
  expect(text.startsWith("…")).toBe(true);
  expect(text.endsWith("…")).toBe(true);
  expect(text).toContain("lorem ipsum the needle is here dolor sit amet");
  expect([...text].length).toBeLessThanOrEqual(170);
  // Two lines at most.
  const box = (await snippet.boundingBox())!;
  expect(box.height).toBeLessThan(50);
});

test.describe("catch-up progress", () => {
  test.use({ fakeClock: true });

  const banner = (page: Page) => page.getByTestId("connection-banner");

  async function loadedAndPaused(page: Page) {
    await expect(messages(page)).toHaveCount(4);
    await expect(banner(page)).toBeHidden();
    const now = await page.evaluate(() => Date.now());
    await page.clock.pauseAt(now + 1000);
  }

  test("Updating… n of m after 2 s, counting up; gone when done", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate(() => window.__fake.syncProgress(1200, 10_000));
    await page.clock.runFor(1000);
    await page.evaluate(() => window.__fake.syncProgress(3200, 10_000));
    await page.clock.runFor(999);
    await expect(banner(page)).toBeHidden();
    await page.clock.runFor(1);
    await expect(banner(page)).toBeVisible();
    await expect(banner(page)).toHaveText("Updating… 3,200 of 10,000");
    await expect(banner(page)).toHaveAttribute("data-line", "updating");
    await shot(page, "updating-banner");

    await page.evaluate(() => window.__fake.syncProgress(6400, 10_000));
    await expect(banner(page)).toHaveText("Updating… 6,400 of 10,000");
    await page.evaluate(() => window.__fake.syncProgress(10_000, 10_000));
    await expect(banner(page)).toBeHidden();
  });

  test("a short catch-up never shows; losing the connection ends one", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate(() => window.__fake.syncProgress(50, 300));
    await page.clock.runFor(1500);
    await page.evaluate(() => window.__fake.syncProgress(300, 300));
    await page.clock.runFor(3000);
    await expect(banner(page)).toBeHidden();

    await page.evaluate(() => window.__fake.syncProgress(100, 2000));
    await page.clock.runFor(2000);
    await expect(banner(page)).toHaveText("Updating… 100 of 2,000");
    await page.evaluate(() => window.__fake.setWaiting(10_000, "the gateway closed the connection"));
    await page.clock.runFor(2000);
    await expect(banner(page)).toContainText("Offline");
    await page.evaluate(() =>
      window.__fake.setConnection({
        state: "connected",
        endpoint: "ws://127.0.0.1:7711/gateway",
        region: "a",
        transport: "gateway",
        session_id: "sess-2",
        preferred_region: true,
      }),
    );
    await page.clock.runFor(3000);
    await expect(banner(page)).toBeHidden();
  });
});
