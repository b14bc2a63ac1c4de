// Chats in their own windows and starting a new chat: a double-click, Shift+Enter
// or the header's button asks the shell for a window (open_chat_window); a page
// opened with ?chat=<id> shows only that chat, and Ctrl+F searches within it;
// Ctrl+N (or the button) opens the new chat dialog, whose Create calls
// create_chat and opens the chat, offline too: the chat then says it waits to be
// created (and is made when the connection returns); one the server refused
// offers Try again and Delete.
import { callsOf, chatItem, expect, messages, messageWith, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const newChatDialog = (page: Page) => page.getByTestId("new-chat");
/** Offline, the user starts "Book club" with Joon; the dialog closes. */
async function startBookClubOffline(page: Page) {
  await expect(messages(page)).toHaveCount(4);
  await page.evaluate(() => window.__fake.setWaiting(30_000, "the gateway did not answer"));
  await page.getByRole("button", { name: "New chat" }).click();
  const dialog = newChatDialog(page);
  await dialog.getByLabel("Chat name").fill("Book club");
  await dialog.getByRole("checkbox", { name: "Joon Lee" }).check();
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toBeHidden();
}

/** Two animation frames: long enough for anything reported after a paint. */
const afterPaint = (page: Page) =>
  page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

test.describe("a chat in its own window", () => {
  test("a double-click, Shift+Enter and the header's button ask for the chat's window", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);

    await chatItem(page, "chat-joon").dblclick();
    await expect.poll(() => callsOf(page, "open_chat_window")).toEqual([{ chatId: "chat-joon" }]);

    await chatItem(page, "chat-hiking").focus();
    await page.keyboard.press("Shift+Enter");
    await expect
      .poll(() => callsOf(page, "open_chat_window"))
      .toEqual([{ chatId: "chat-joon" }, { chatId: "chat-hiking" }]);
    // Shift+Enter only opened the window: the focus stays in the list.
    await expect(chatItem(page, "chat-hiking")).toBeFocused();

    await chatItem(page, "chat-mina").click();
    await expect(page.getByRole("heading", { name: "Mina Park" })).toBeVisible();
    await page.getByRole("button", { name: "Open in new window" }).click();
    await expect.poll(async () => (await callsOf(page, "open_chat_window")).at(-1)).toEqual({ chatId: "chat-mina" });
    // The main window reports its chat list as painted, as ever.
    await expect.poll(() => callsOf(page, "chat_list_painted")).toHaveLength(1);
  });

  test("a window that could not be opened says so", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.evaluate(() =>
      window.__fake.failNext("open_chat_window", {
        code: "window_error",
        message: "the window could not be created",
        retryable: false,
      }),
    );
    await page.getByRole("button", { name: "Open in new window" }).click();
    const notice = page.getByTestId("chat-window-error");
    await expect(notice).toContainText("Couldn't open the chat in a new window: the window could not be created");
    await notice.getByRole("button", { name: "Dismiss" }).click();
    await expect(notice).toBeHidden();
  });

  test.describe("opened with ?chat=", () => {
    test.use({ appPath: "/?chat=chat-hiking" });

    test("shows only that chat, sends, and reports no chat list", async ({ app: page }) => {
      await expect(page.getByTestId("chat-window")).toBeVisible();
      await expect(page.getByRole("heading", { name: "Weekend hiking" })).toBeVisible();
      await expect(page.getByTestId("chat-list")).toHaveCount(0);
      await expect(page.getByTestId("new-chat-button")).toHaveCount(0);
      await expect(page.getByRole("button", { name: "Open in new window" })).toHaveCount(0);
      await expect(page).toHaveTitle("Weekend hiking");
      expect(await callsOf(page, "open_chat")).toEqual([{ chatId: "chat-hiking" }]);
      await expect(messages(page).first()).toBeVisible();

      const composer = page.getByTestId("composer");
      await expect(composer).toBeFocused();
      await composer.fill("Sent from its own window");
      await composer.press("Enter");
      await expect(messageWith(page, "Sent from its own window")).toBeVisible();
      expect(await callsOf(page, "send_message")).toEqual([
        { chatId: "chat-hiking", body: "Sent from its own window" },
      ]);
      // The same core events reach every window.
      await page.evaluate(() => window.__fake.reply("chat-hiking", "Got it in the other window"));
      await expect(messageWith(page, "Got it in the other window")).toBeVisible();

      // No new chat dialog here.
      await page.keyboard.press("Control+n");
      await expect(newChatDialog(page)).toHaveCount(0);

      await afterPaint(page);
      await afterPaint(page);
      expect(await callsOf(page, "chat_list_painted")).toEqual([]);
      await shot(page, "chat-window");
    });

    test("Ctrl+F searches within its chat; Esc closes; a hit jumps to the message", async ({ app: page }) => {
      const composer = page.getByTestId("composer");
      await expect(composer).toBeFocused();
      const dialog = page.getByRole("dialog", { name: "Search" });
      const input = dialog.getByLabel("Search messages");
      const hits = dialog.getByTestId("search-hit");

      await page.keyboard.press("Control+f");
      await expect(dialog).toBeVisible();
      await expect(input).toBeFocused();
      // Only this chat: a hit in another could not be opened here, so no choice is offered.
      await expect(dialog.getByTestId("search-scope")).toHaveCount(0);
      // Entered at once: this test is about where the search looks, not the typing pause
      // (a stall between keys on a loaded machine would send a search for a prefix).
      await input.fill("north gate");
      await expect(hits).toHaveCount(1);
      await expect(hits.first()).toContainText("Weekend hiking");
      expect(await callsOf(page, "search")).toEqual([{ query: "north gate", chatId: "chat-hiking" }]);
      await shot(page, "chat-window-search");

      await page.keyboard.press("Escape");
      await expect(dialog).toHaveCount(0);
      await expect(composer).toBeFocused();

      // Ctrl+K (every chat) stays a main window's.
      await page.keyboard.press("Control+k");
      await expect(dialog).toHaveCount(0);

      await page.keyboard.press("Control+f");
      await input.pressSequentially("north gate");
      await expect(hits).toHaveCount(1);
      await page.keyboard.press("Enter");
      await expect(dialog).toHaveCount(0);
      const target = messageWith(page, "Let's meet at 7:30 at the north gate.");
      await expect(target).toHaveAttribute("data-flash", "true");
      await expect(target).toBeInViewport();
      await expect(page.getByTestId("chat-window")).toBeVisible();
    });
  });
});

test.describe("new chat", () => {
  test("Ctrl+N opens it; the filter narrows the people; Create starts the chat and opens it", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.keyboard.press("Control+n");
    const dialog = newChatDialog(page);
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel("Chat name")).toBeFocused();
    const create = dialog.getByRole("button", { name: "Create" });
    const people = dialog.getByRole("checkbox");
    await expect(people).toHaveCount(5);
    await expect(create).toBeDisabled();

    await dialog.getByLabel("Chat name").fill("Trip planning");
    await expect(create).toBeDisabled(); // nobody chosen yet
    await dialog.getByRole("searchbox", { name: "Filter people" }).fill("so");
    await expect(people).toHaveCount(1);
    await dialog.getByRole("checkbox", { name: "Sora Kim" }).check();
    await dialog.getByRole("searchbox", { name: "Filter people" }).fill("HANA");
    await expect(people).toHaveCount(1);
    await dialog.getByRole("checkbox", { name: "Hana Choi" }).check();
    await dialog.getByRole("searchbox", { name: "Filter people" }).fill("");
    await expect(people).toHaveCount(5);
    await expect(dialog.getByRole("checkbox", { name: "Sora Kim" })).toBeChecked();
    await expect(dialog).toContainText("2 people chosen");
    await shot(page, "new-chat-dialog");

    await create.click();
    await expect(dialog).toBeHidden();
    expect(await callsOf(page, "create_chat")).toEqual([{ title: "Trip planning", memberIds: ["hana", "sora"] }]);
    await expect(page.getByRole("heading", { name: "Trip planning" })).toBeVisible();
    // Both the answer and chat_updated brought it: listed once, and open.
    await expect(chatItem(page, "chat-new-1")).toHaveCount(1);
    await expect(chatItem(page, "chat-new-1")).toHaveAttribute("aria-current", "true");
    await expect(page.getByTestId("chat-item")).toHaveCount(4);
    await expect(page.getByTestId("composer")).toBeFocused();
  });

  test("a chat with one person needs no name: a new one is titled after them, an existing one opens", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.keyboard.press("Control+n");
    const dialog = newChatDialog(page);
    const create = dialog.getByRole("button", { name: "Create" });
    await dialog.getByRole("checkbox", { name: "Sora Kim" }).check();
    await expect(dialog.getByLabel("Chat name")).toHaveAttribute("placeholder", "Optional: titled after the person");
    await expect(create).toBeEnabled();
    await dialog.getByRole("checkbox", { name: "Hana Choi" }).check();
    await expect(create).toBeDisabled(); // a group needs a name
    await dialog.getByRole("checkbox", { name: "Hana Choi" }).uncheck();
    await create.click();
    await expect(dialog).toBeHidden();
    expect(await callsOf(page, "create_chat")).toEqual([{ title: "", memberIds: ["sora"] }]);
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Sora Kim");

    // Joon already has a chat with the user: that one opens, nothing new is listed.
    await page.keyboard.press("Control+n");
    await newChatDialog(page).getByRole("checkbox", { name: "Joon Lee" }).check();
    await newChatDialog(page).getByRole("button", { name: "Create" }).click();
    await expect(newChatDialog(page)).toBeHidden();
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Joon Lee");
    await expect(chatItem(page, "chat-joon")).toHaveAttribute("aria-current", "true");
    await expect(page.getByTestId("chat-item")).toHaveCount(4);
  });

  test("offline, the chat is started anyway: open, waiting to be created, and made when the connection returns", async ({
    app: page,
  }) => {
    await startBookClubOffline(page);
    expect(await callsOf(page, "create_chat")).toEqual([{ title: "Book club", memberIds: ["joon"] }]);
    await expect(page.getByRole("heading", { name: "Book club" })).toBeVisible();
    await expect(chatItem(page, "chat-new-1")).toHaveAttribute("aria-current", "true");
    const waiting = page.getByTestId("chat-creation");
    await expect(waiting).toHaveAttribute("data-state", "pending");
    await expect(waiting).toContainText("created on the server as soon as it can be reached");
    await expect(chatItem(page, "chat-new-1").getByTestId("creation-mark")).toHaveText("Waiting to be created ·");
    await expect(page.getByTestId("composer")).toBeFocused();
    await shot(page, "new-chat-waiting");

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
    await expect(waiting).toBeHidden();
    await expect(chatItem(page, "chat-new-1").getByTestId("creation-mark")).toHaveCount(0);
  });

  test("a chat the server refused says why and offers Try again and Delete", async ({ app: page }) => {
    await startBookClubOffline(page);
    await page.evaluate(() => window.__fake.refuseChat("chat-new-1", "no user \"joon\" on this server"));
    const bar = page.getByTestId("chat-creation");
    await expect(bar).toHaveAttribute("data-state", "failed");
    await expect(bar).toContainText('The server didn\'t create this chat: no user "joon" on this server.');
    await expect(chatItem(page, "chat-new-1").getByTestId("creation-mark")).toHaveText("Not created ·");
    await shot(page, "new-chat-refused");

    await bar.getByRole("button", { name: "Try again" }).click();
    expect(await callsOf(page, "retry_chat")).toEqual([{ chatId: "chat-new-1" }]);
    await expect(bar).toHaveAttribute("data-state", "pending");

    await page.evaluate(() => window.__fake.refuseChat("chat-new-1", "still no such user"));
    await bar.getByRole("button", { name: "Delete chat" }).click();
    expect(await callsOf(page, "delete_unmade_chat")).toEqual([{ chatId: "chat-new-1" }]);
    await expect(chatItem(page, "chat-new-1")).toHaveCount(0);
    await expect(page.getByTestId("chat-item")).toHaveCount(3);
    await expect(page.getByRole("heading", { name: "Book club" })).toHaveCount(0);
  });

  test("Esc closes it and the focus goes back to its button", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const button = page.getByRole("button", { name: "New chat" });
    await button.click();
    await expect(newChatDialog(page)).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(newChatDialog(page)).toBeHidden();
    await expect(button).toBeFocused();
    expect(await callsOf(page, "create_chat")).toEqual([]);
  });

  test.describe("in Korean", () => {
    test.use({ fakeOptions: { signedIn: true, appearance: { language: "korean" } } });

    test("the dialog speaks Korean", async ({ app: page }) => {
      await expect(messages(page)).toHaveCount(4);
      await page.getByRole("button", { name: "새 채팅" }).click();
      const dialog = newChatDialog(page);
      await expect(dialog.getByRole("heading", { name: "새 채팅" })).toBeVisible();
      await dialog.getByLabel("채팅 이름").fill("주말 산행");
      await dialog.getByRole("checkbox", { name: "Mina Park" }).check();
      await expect(dialog).toContainText("1명 선택됨");
      await expect(dialog.getByRole("button", { name: "만들기" })).toBeEnabled();
      await shot(page, "korean-new-chat-dialog");
    });
  });
});
