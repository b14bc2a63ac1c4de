// Files (attaching, dropping, waiting to upload, saving), scrolling back
// through history (older pages, the start, gaps filled in place) and read
// marks for the open chat.
import type { ChatMessage } from "../src/lib/bindings/ChatMessage";
import type { Command } from "../src/lib/bindings/Command";
import type { OlderPage } from "../src/lib/bindings/OlderPage";
import { callsOf, chatItem, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const composer = (page: Page) => page.getByTestId("composer");
const attachButton = (page: Page) => page.getByRole("button", { name: "Attach files" });
const files = (page: Page) => page.getByTestId("attachment");
const log = (page: Page) => page.getByTestId("message-list");
const bodies = (page: Page) => page.getByTestId("message-body").allTextContents();
const setPicked = (page: Page, paths: string[]) => page.evaluate((paths) => window.__fake.setPicked(paths), paths);
const callsFor = async (page: Page, cmd: Command, chatId: string) =>
  (await callsOf(page, cmd)).filter((args) => args.chatId === chatId);

test.describe("files", () => {
  test("Attach files sends the chosen files with the text written as their caption", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await expect(attachButton(page)).toHaveAttribute("title", /Attach files/);

    // Cancelling the chooser sends nothing and keeps the text.
    await composer(page).fill("Route for Saturday");
    await setPicked(page, []);
    await attachButton(page).click();
    await expect.poll(() => callsOf(page, "pick_files")).toHaveLength(1);
    expect(await callsOf(page, "send_files")).toEqual([]);
    await expect(composer(page)).toHaveValue("Route for Saturday");

    const paths = ["/home/me/Maps/trail-map.pdf", "/home/me/Pictures/summit.jpg"];
    await setPicked(page, paths);
    await attachButton(page).click();
    await expect.poll(() => callsOf(page, "send_files")).toEqual([
      { chatId: "chat-mina", body: "Route for Saturday", paths },
    ]);
    await expect(composer(page)).toHaveValue("");
    await expect(composer(page)).toBeFocused();

    const message = messageWith(page, "Route for Saturday");
    await expect(message).toHaveAttribute("data-state", "pending");
    await expect(message.getByTestId("message-body")).toHaveText("Route for Saturday");
    const cards = message.getByTestId("attachment");
    await expect(cards).toHaveCount(2);
    await expect(cards.nth(0).getByTestId("attachment-name")).toHaveText("trail-map.pdf");
    await expect(cards.nth(0).getByTestId("attachment-size")).toHaveText("2.3 MB");
    await expect(cards.nth(0)).toContainText("PDF");
    await expect(cards.nth(1).getByTestId("attachment-name")).toHaveText("summit.jpg");
    await expect(cards.nth(1).getByTestId("attachment-size")).toHaveText("3.1 MB");
    await expect(cards.nth(1)).toContainText("IMG");
    // Uploading: no reason to give while the media service is up, and nothing to save yet.
    await expect(cards.getByTestId("attachment-status")).toHaveText(["Waiting to upload", "Waiting to upload"]);
    await expect(cards.getByTestId("attachment-reason")).toHaveCount(0);
    await expect(message.getByRole("button", { name: /^Save/ })).toHaveCount(0);

    // Uploaded: each file can be saved.
    const clientMsgId = await page.evaluate(() => window.__fake.sent[0].client_msg_id!);
    await page.evaluate((id) => window.__fake.uploaded(id), clientMsgId);
    await expect(cards.getByTestId("attachment-status")).toHaveCount(0);
    await expect(message.getByRole("button", { name: "Save trail-map.pdf" })).toBeVisible();
    await expect(message.getByRole("button", { name: "Save summit.jpg" })).toBeVisible();
    await expect(messages(page)).toHaveCount(5); // updated in place
  });

  test("while the media service is down, a waiting file says why; without a caption no text bubble", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.evaluate(() => window.__fake.setServices({ media: "down" }, "media service unreachable"));
    await setPicked(page, ["/home/me/packing list.txt"]);
    await attachButton(page).click();
    await expect.poll(() => callsOf(page, "send_files")).toEqual([
      { chatId: "chat-mina", body: "", paths: ["/home/me/packing list.txt"] },
    ]);

    const message = messages(page).last();
    await expect(message).toHaveAttribute("data-state", "pending");
    // The core made the file name the body: the card says it already.
    await expect(message.getByTestId("message-body")).toHaveCount(0);
    const card = message.getByTestId("attachment");
    await expect(card.getByTestId("attachment-name")).toHaveText("packing list.txt");
    await expect(card.getByTestId("attachment-size")).toHaveText("812 B");
    await expect(card.getByTestId("attachment-status")).toHaveText("Waiting to upload");
    await expect(card.getByTestId("attachment-reason")).toHaveText(
      "The media service is down; the file uploads when it is back",
    );
    await expect(message).toContainText("Sending…");
    await expect(chatItem(page, "chat-mina")).toContainText("packing list.txt");
    await shot(page, "file-waiting");
  });

  test("a received file can be saved; where it went, or why not, is said on the file", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const report = { name: "trail-report.pdf", size: 1_250_000, mime: "application/pdf", media_id: "media-77" };
    const hostile = {
      name: "<img src=x onerror=window.__xss=1>.png",
      size: 20_480,
      mime: "image/png",
      media_id: "media-78",
    };
    await page.evaluate(
      (files) => window.__fake.deliverFiles("chat-mina", { id: "mina", name: "Mina Park" }, "Here's the report", files),
      [report, hostile],
    );
    const message = messageWith(page, "Here's the report");
    const cards = message.getByTestId("attachment");
    await expect(cards).toHaveCount(2);
    await expect(cards.nth(0).getByTestId("attachment-size")).toHaveText("1.2 MB");
    // Someone else's files never say "Waiting to upload".
    await expect(cards.getByTestId("attachment-status")).toHaveCount(0);
    // The name is text only.
    await expect(cards.nth(1).getByTestId("attachment-name")).toHaveText(hostile.name);
    expect(await page.evaluate(() => document.querySelectorAll("img").length)).toBe(0);

    const save = message.getByRole("button", { name: "Save trail-report.pdf" });
    await save.click();
    await expect(cards.nth(0).getByRole("status")).toHaveText("Saved to /home/me/Downloads/trail-report.pdf");
    expect(await callsOf(page, "save_attachment")).toEqual([{ attachment: report }]);
    await log(page).evaluate((el) => (el.scrollTop = el.scrollHeight));
    await shot(page, "file-received-save");

    // A failure is said on that file; the other one is untouched.
    await page.evaluate(() =>
      window.__fake.failNext("save_attachment", { code: "io", message: "the Downloads folder is full", retryable: false }),
    );
    await message.getByRole("button", { name: `Save ${hostile.name}` }).click();
    await expect(cards.nth(1).getByRole("alert")).toHaveText("Couldn't save: the Downloads folder is full");
    await expect(cards.nth(0).getByRole("status")).toBeVisible();
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
  });

  test("files dropped on the window go to the open chat, without taking the draft", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await composer(page).fill("A draft that stays");
    const zone = page.getByTestId("drop-zone");

    const paths = ["/home/me/Pictures/summit.jpg"];
    await page.evaluate((paths) => window.__fake.drag("enter", paths), paths);
    await expect(zone).toBeVisible();
    await expect(zone).toHaveText("Drop to send to Mina Park");
    await page.evaluate(() => window.__fake.drag("over"));
    await expect(zone).toBeVisible();
    await shot(page, "file-drop");
    await page.evaluate(() => window.__fake.drag("leave"));
    await expect(zone).toHaveCount(0);
    expect(await callsOf(page, "send_files")).toEqual([]);

    await page.evaluate((paths) => window.__fake.drag("enter", paths), paths);
    await page.evaluate((paths) => window.__fake.drag("drop", paths), paths);
    await expect(zone).toHaveCount(0);
    await expect.poll(() => callsOf(page, "send_files")).toEqual([{ chatId: "chat-mina", body: "", paths }]);
    await expect(messages(page)).toHaveCount(5);
    await expect(files(page).getByTestId("attachment-name")).toHaveText("summit.jpg");
    await expect(composer(page)).toHaveValue("A draft that stays");

    // A refusal is said in the composer.
    await page.evaluate(() =>
      window.__fake.failNext("send_files", { code: "invalid_input", message: "that file can't be read", retryable: false }),
    );
    await page.evaluate((paths) => window.__fake.drag("drop", paths), ["/root/secret.txt"]);
    await expect(page.getByRole("alert")).toHaveText("Couldn't send the file: that file can't be read");

    // Not while a dialog covers the chat.
    await page.keyboard.press("Control+k");
    await expect(page.getByRole("dialog", { name: "Search" })).toBeVisible();
    await page.evaluate((paths) => window.__fake.drag("enter", paths), paths);
    await page.evaluate((paths) => window.__fake.drag("drop", paths), paths);
    await page.waitForTimeout(200);
    await expect(zone).toHaveCount(0);
    expect(await callsOf(page, "send_files")).toHaveLength(2);
  });
});

test.describe("scrolling back", () => {
  /** `count` messages of the hiking chat, oldest first, ending `minutesBefore` the chat's oldest one. */
  async function olderMessages(page: Page, label: string, count: number, minutesBefore: number) {
    return page.evaluate(
      ([label, count, minutesBefore]) => {
        const oldest = window.__fake.messagesOf("chat-hiking")[0].sent_at_ms;
        const from = ["joon", "sora", "mina"];
        return Array.from({ length: count }, (_, i) =>
          window.__fake.makeMessage(
            "chat-hiking",
            from[i % 3],
            `${label} ${i + 1}`,
            oldest - (minutesBefore + (count - i) * 3) * 60_000,
          ),
        );
      },
      [label, count, minutesBefore] as const,
    );
  }
  const queueOlder = (page: Page, page_: OlderPage) =>
    page.evaluate((p) => window.__fake.queueOlder("chat-hiking", p), page_);
  const scrollToTop = (page: Page) => log(page).evaluate((el) => (el.scrollTop = 0));
  const olderCalls = (page: Page) => callsFor(page, "load_older", "chat-hiking");

  async function openHiking(page: Page) {
    await chatItem(page, "chat-hiking").click();
    await expect(messages(page)).toHaveCount(12);
    await expect.poll(() => log(page).evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(2);
  }

  test("scrolling to the top loads older messages above, in order, keeping the view still; stops at the start", async ({
    app: page,
  }) => {
    const page1 = await olderMessages(page, "Older", 5, 0);
    const page2 = await olderMessages(page, "Oldest", 3, 30);
    await queueOlder(page, { messages: page1, has_more: true, missing_above: null });
    await queueOlder(page, { messages: page2, has_more: false, missing_above: null });
    await openHiking(page);
    // Opened at the newest message: nothing older is asked for yet.
    await page.waitForTimeout(200);
    expect(await olderCalls(page)).toEqual([]);
    const before = await bodies(page);

    // At the top: one call while it is under way, however much the reader scrolls.
    await page.evaluate(() => window.__fake.hold("load_older"));
    await scrollToTop(page);
    const status = page.getByTestId("older-status");
    await expect(status).toHaveText("Loading older messages…");
    await log(page).evaluate((el) => (el.scrollTop = 40));
    await scrollToTop(page);
    await page.waitForTimeout(200);
    expect(await olderCalls(page)).toEqual([{ chatId: "chat-hiking" }]);

    const top = messageWith(page, before[0]);
    const yBefore = (await top.boundingBox())!.y;
    await page.evaluate(() => window.__fake.release("load_older"));
    await expect(messages(page)).toHaveCount(17);
    expect(await bodies(page)).toEqual([...page1.map((m) => m.body), ...before]);
    // The message that was at the top has not moved.
    await expect.poll(async () => Math.abs((await top.boundingBox())!.y - yBefore)).toBeLessThan(2);
    await expect(page.getByRole("button", { name: "Jump to the latest message" })).not.toContainText("new message");

    // Further up: the last page, and the start of the conversation.
    await scrollToTop(page);
    await expect(messages(page)).toHaveCount(20);
    expect(await bodies(page)).toEqual([...page2.map((m) => m.body), ...page1.map((m) => m.body), ...before]);
    await expect(status).toHaveText("Start of conversation");
    await scrollToTop(page);
    await log(page).evaluate((el) => (el.scrollTop = 300));
    await scrollToTop(page);
    await page.waitForTimeout(300);
    expect(await olderCalls(page)).toHaveLength(2);

    // Reopening the chat keeps what was loaded and asks no more.
    await chatItem(page, "chat-mina").click();
    await chatItem(page, "chat-hiking").click();
    await expect(messages(page)).toHaveCount(20);
    await scrollToTop(page);
    await page.waitForTimeout(200);
    expect(await olderCalls(page)).toHaveLength(2);
  });

  test("a page that could not be loaded offers a retry", async ({ app: page }) => {
    const page1 = await olderMessages(page, "Older", 4, 0);
    await queueOlder(page, { messages: page1, has_more: false, missing_above: null });
    await openHiking(page);
    await page.evaluate(() =>
      window.__fake.failNext("load_older", { code: "offline", message: "no connection", retryable: true }),
    );
    await scrollToTop(page);
    const status = page.getByTestId("older-status");
    await expect(status.getByRole("alert")).toHaveText("Couldn't load older messages: no connection.");
    // Not asked again by itself.
    await page.waitForTimeout(300);
    expect(await olderCalls(page)).toHaveLength(1);

    await status.getByRole("button", { name: "Retry loading older messages" }).click();
    await expect(messages(page)).toHaveCount(16);
    await expect(status).toHaveText("Start of conversation");
    expect(await olderCalls(page)).toHaveLength(2);
  });

  test("a gap in the cache is marked after its message; Load them fills it in place", async ({ app: page }) => {
    // Offline: the cache is shown past a gap after "Older 2".
    const page1 = await olderMessages(page, "Older", 4, 0);
    const above = page1[1].msg_id!;
    const missing = await page.evaluate(
      ([after, before]) => [
        window.__fake.makeMessage("chat-hiking", "sora", "Missing 1", after + 30_000),
        window.__fake.makeMessage("chat-hiking", "joon", "Missing 2", before - 30_000),
      ],
      [page1[1].sent_at_ms, page1[2].sent_at_ms] as const,
    );
    await page.evaluate(([above, list]) => window.__fake.setGapFill("chat-hiking", above as string, list as ChatMessage[]), [
      above,
      missing,
    ] as const);
    await queueOlder(page, { messages: page1, has_more: true, missing_above: above });
    await openHiking(page);
    await scrollToTop(page);
    await expect(messages(page)).toHaveCount(16);

    // The marker follows the message it is about.
    const gap = page.getByTestId("history-gap");
    await expect(gap).toHaveCount(1);
    await expect(gap).toContainText("Some messages here haven't been loaded yet");
    const next = messageWith(page, "Older 2").locator("xpath=following-sibling::*[1]");
    await expect(next).toHaveAttribute("data-testid", "history-gap");
    await gap.scrollIntoViewIfNeeded();
    await shot(page, "history-gap");

    // Still offline: the marker stays and says when it will work.
    await page.evaluate(() =>
      window.__fake.failNext("fill_gap", { code: "offline", message: "no connection", retryable: true }),
    );
    const load = gap.getByRole("button", { name: "Load them" });
    await load.click();
    await expect(gap.getByRole("alert")).toHaveText(
      "Couldn't load them: no connection. This will work when the connection returns.",
    );
    await expect(messages(page)).toHaveCount(16);

    // Back online: the missing messages go right after the marker's message, and the marker goes.
    await load.click();
    await expect(messages(page)).toHaveCount(18);
    await expect(gap).toHaveCount(0);
    const order = await bodies(page);
    expect(order.slice(0, 6)).toEqual(["Older 1", "Older 2", "Missing 1", "Missing 2", "Older 3", "Older 4"]);
    expect(await callsOf(page, "fill_gap")).toEqual([
      { chatId: "chat-hiking", above },
      { chatId: "chat-hiking", above },
    ]);
  });

  test("gaps the core knows of are marked when a chat opens", async ({ app: page }) => {
    const first = await page.evaluate(() => window.__fake.messagesOf("chat-joon")[0]);
    await page.evaluate((id) => window.__fake.setGaps("chat-joon", [id, "m-not-shown"]), first.msg_id!);
    await chatItem(page, "chat-joon").click();
    await expect(messages(page)).toHaveCount(2);
    expect(await callsOf(page, "history_gaps")).toContainEqual({ chatId: "chat-joon" });
    // Only the one after a message that is shown.
    await expect(page.getByTestId("history-gap")).toHaveCount(1);
    const next = messageWith(page, first.body).locator("xpath=following-sibling::*[1]");
    await expect(next).toHaveAttribute("data-testid", "history-gap");
  });
});

test.describe("read marks", () => {
  const markReads = (page: Page) => callsOf(page, "mark_read");

  test("a message from someone else in the open, focused chat is read; not while unfocused or hidden", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    expect(await page.evaluate(() => document.hasFocus())).toBe(true);
    const before = (await markReads(page)).length;

    await page.evaluate(() => window.__fake.reply("chat-mina", "Are you there?"));
    await expect(messageWith(page, "Are you there?")).toBeVisible();
    await expect.poll(() => markReads(page)).toHaveLength(before + 1);
    expect((await markReads(page)).at(-1)).toEqual({ chatId: "chat-mina" });

    // Own messages, and messages in other chats, are not a reason.
    await composer(page).fill("Yes!");
    await composer(page).press("Enter");
    await page.evaluate(() => window.__fake.reply("chat-joon", "Did you finish the book?"));
    await expect(chatItem(page, "chat-joon")).toContainText("Did you finish the book?");
    // Another member reading is no reason to mark anything read here.
    await page.evaluate(() =>
      window.__fake.emit({ type: "read_mark_moved", chat_id: "chat-mina", user_id: "mina", msg_id: "m-1" }),
    );
    await page.waitForTimeout(200);
    expect(await markReads(page)).toHaveLength(before + 1);

    // The window lost the focus: nothing is read.
    await page.evaluate(() => (document.hasFocus = () => false));
    await page.evaluate(() => window.__fake.reply("chat-mina", "Hello?"));
    await expect(messageWith(page, "Hello?")).toBeVisible();
    await page.waitForTimeout(200);
    expect(await markReads(page)).toHaveLength(before + 1);

    // Back in the window: the open chat is read.
    await page.evaluate(() => {
      delete (document as { hasFocus?: unknown }).hasFocus;
      window.dispatchEvent(new Event("focus"));
    });
    await expect.poll(() => markReads(page)).toHaveLength(before + 2);
    expect((await markReads(page)).at(-1)).toEqual({ chatId: "chat-mina" });

    // Hidden (minimised): nothing is read.
    await page.evaluate(() => Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true }));
    await page.evaluate(() => window.__fake.reply("chat-mina", "Anyone?"));
    await expect(messageWith(page, "Anyone?")).toBeVisible();
    await page.waitForTimeout(200);
    expect(await markReads(page)).toHaveLength(before + 2);
  });

  test.describe("with a passcode set", () => {
    test.use({ fakeOptions: { signedIn: true, passcode: "2468" } });

    test("nothing is marked read while locked", async ({ app: page }) => {
      await page.getByLabel("Passcode").fill("2468");
      await page.getByRole("button", { name: "Unlock" }).click();
      await expect(messages(page)).toHaveCount(4);
      await page.evaluate(() => window.__fake.lock());
      await expect(page.getByRole("dialog", { name: "Outlast is locked" })).toBeVisible();
      const before = (await markReads(page)).length;
      await page.evaluate(() => window.dispatchEvent(new Event("focus")));
      await page.evaluate(() => window.__fake.reply("chat-mina", "While locked"));
      await page.waitForTimeout(200);
      expect(await markReads(page)).toHaveLength(before);
    });
  });
});
