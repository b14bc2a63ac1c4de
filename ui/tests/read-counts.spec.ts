// Per-message read counts: beside each message, how many of the chat's other
// members have not read it yet (KakaoTalk's small number). They come from
// read_marks when a chat is opened and move with read_mark_moved.
import type { Locator } from "@playwright/test";
import { callsOf, chatItem, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const countOf = (message: Locator) => message.getByTestId("read-count");
/** The number as seen (the words for screen readers are beside it, hidden). */
const shownCount = (message: Locator) => countOf(message).locator('[aria-hidden="true"]');
const spokenCount = (message: Locator) => countOf(message).locator(".visually-hidden");
const allCounts = (page: Page) => page.getByTestId("read-count");
/** A title's names are each wrapped in directional isolates. */
const isolated = (...names: string[]) => names.map((n) => `\u2068${n}\u2069`).join(", ");

const ids = (page: Page, chatId: string) =>
  page.evaluate((chatId) => window.__fake.messagesOf(chatId).map((m) => m.msg_id!), chatId);
const readBy = (page: Page, chatId: string, userId: string, msgId: string) =>
  page.evaluate(([c, u, m]) => window.__fake.readBy(c, u, m), [chatId, userId, msgId] as const);

async function openHiking(page: Page) {
  await expect(messages(page)).toHaveCount(4);
  await chatItem(page, "chat-hiking").click();
  await expect(messages(page)).toHaveCount(12);
}

const PICNIC = "I booked the picnic spot by the lake for lunch.";
const POLES = "Does anyone have a spare pair of poles?";
const WATER = "Don't forget water, the spring near the top is dry.";
const MAP = "Sounds good. I'll bring the map and some snacks.";

test("a group chat: the count falls as members read, down to nothing", async ({ app: page }) => {
  await openHiking(page);
  const hiking = await ids(page, "chat-hiking");
  const picnic = messageWith(page, PICNIC);

  // Joon wrote it; Sora and Mina have not read that far.
  await expect(shownCount(picnic)).toHaveText("2");
  await expect(spokenCount(picnic)).toHaveText("2 unread");
  await expect(countOf(picnic)).toHaveAttribute("title", `Not read yet by ${isolated("Sora Kim", "Mina Park")}`);
  // Mina's own question: only Sora has not read it.
  await expect(shownCount(messageWith(page, POLES))).toHaveText("1");
  // Own messages count too: the older one is read by all, the newer not yet by Mina.
  await expect(countOf(messageWith(page, MAP))).toHaveCount(0);
  await expect(shownCount(messageWith(page, WATER))).toHaveText("1");
  // Next to the own message's state, on the same line, so the message is no taller.
  await expect(messageWith(page, WATER).locator(".status-line")).toContainText("Sent");
  await shot(page, "read-counts-group");

  await readBy(page, "chat-hiking", "sora", hiking[10]);
  await expect(shownCount(picnic)).toHaveText("1");
  await expect(countOf(picnic)).toHaveAttribute("title", `Not read yet by ${isolated("Mina Park")}`);
  await expect(shownCount(messageWith(page, POLES))).toHaveText("1");

  await readBy(page, "chat-hiking", "mina", hiking[11]);
  await expect(countOf(picnic)).toHaveCount(0);
  await expect(countOf(messageWith(page, WATER))).toHaveCount(0);
  await expect(shownCount(messageWith(page, POLES))).toHaveText("1");

  await readBy(page, "chat-hiking", "sora", hiking[11]);
  await expect(allCounts(page)).toHaveCount(0);

  // A late event for an older message does not move a mark back.
  await readBy(page, "chat-hiking", "mina", hiking[2]);
  await page.evaluate(() => window.__fake.reply("chat-hiking", "Poles: I have two."));
  await expect(shownCount(messageWith(page, "Poles: I have two."))).toHaveText("2");
  await expect(allCounts(page)).toHaveCount(1);
});

test("own messages: none while pending, every other member once sent", async ({ app: page }) => {
  await openHiking(page);
  const composer = page.getByTestId("composer");
  await composer.fill("On my way");
  await composer.press("Enter");
  const mine = messageWith(page, "On my way");
  await expect(mine).toHaveAttribute("data-state", "pending");
  await expect(countOf(mine)).toHaveCount(0);

  const clientMsgId = await page.evaluate(() => window.__fake.sent[0].client_msg_id!);
  await page.evaluate((id) => window.__fake.ack(id), clientMsgId);
  await expect(mine).toHaveAttribute("data-state", "sent");
  await expect(shownCount(mine)).toHaveText("3");
  await expect(spokenCount(mine)).toHaveText("3 unread");

  const msgId = (await ids(page, "chat-hiking")).at(-1)!;
  await readBy(page, "chat-hiking", "joon", msgId);
  await expect(shownCount(mine)).toHaveText("2");
  await expect(countOf(mine)).toHaveAttribute("title", `Not read yet by ${isolated("Sora Kim", "Mina Park")}`);

  // A message that failed has no id from the server, and no count.
  await page.evaluate(() => window.__fake.addUnsent("chat-hiking", "Never arrived", "the server refused it"));
  await expect(messageWith(page, "Never arrived")).toHaveAttribute("data-state", "failed");
  await expect(countOf(messageWith(page, "Never arrived"))).toHaveCount(0);
});

test("a 1:1 chat counts 1 or nothing", async ({ app: page }) => {
  // Mina has read everything in her chat.
  await expect(messages(page)).toHaveCount(4);
  await expect(allCounts(page)).toHaveCount(0);
  expect(await callsOf(page, "read_marks")).toContainEqual({ chatId: "chat-mina" });

  await chatItem(page, "chat-joon").click();
  await expect(messages(page)).toHaveCount(2);
  const thanks = messageWith(page, "Thanks for the book!");
  await expect(shownCount(thanks)).toHaveText("1");
  await expect(countOf(thanks)).toHaveAttribute("title", `Not read yet by ${isolated("Joon Lee")}`);
  // His own message never counts him.
  await expect(countOf(messageWith(page, "Here's the book I mentioned."))).toHaveCount(0);

  const joon = await ids(page, "chat-joon");
  await readBy(page, "chat-joon", "joon", joon[1]);
  await expect(allCounts(page)).toHaveCount(0);
});

test("read marks that cannot be read show no counts and no error", async ({ app: page }) => {
  await expect(messages(page)).toHaveCount(4);
  await page.evaluate(() =>
    window.__fake.failNext("read_marks", { code: "storage", message: "cache unreadable", retryable: false }),
  );
  await chatItem(page, "chat-hiking").click();
  await expect(messages(page)).toHaveCount(12);
  await expect.poll(async () => (await callsOf(page, "read_marks")).length).toBe(2);
  // Events about a chat whose marks are not known are let go.
  const hiking = await ids(page, "chat-hiking");
  await readBy(page, "chat-hiking", "sora", hiking[10]);
  await page.evaluate(() => window.__fake.reply("chat-hiking", "Anyone?"));
  await expect(messageWith(page, "Anyone?")).toBeVisible();
  await expect(allCounts(page)).toHaveCount(0);
  await expect(page.getByRole("alert")).toHaveCount(0);

  // Read again (here: history was missed) they show; failing again, they are dropped, not left stale.
  await page.evaluate(() => window.__fake.historyGap());
  await expect(shownCount(messageWith(page, PICNIC))).toHaveText("1");
  await page.evaluate(() =>
    window.__fake.failNext("read_marks", { code: "storage", message: "cache unreadable", retryable: false }),
  );
  const calls = (await callsOf(page, "read_marks")).length;
  await page.evaluate(() => window.__fake.historyGap());
  await expect.poll(async () => (await callsOf(page, "read_marks")).length).toBe(calls + 1);
  await expect(allCounts(page)).toHaveCount(0);
  await expect(page.getByRole("alert")).toHaveCount(0);
});

test.describe("with a passcode set", () => {
  test.use({ fakeOptions: { signedIn: true, passcode: "2468" } });

  test("nothing is read while locked; unlocked, the marks are read again", async ({ app: page }) => {
    await expect(page.getByRole("dialog", { name: "Outlast is locked" })).toBeVisible();
    expect(await callsOf(page, "read_marks")).toEqual([]);
    await page.getByLabel("Passcode").fill("2468");
    await page.getByRole("button", { name: "Unlock" }).click();
    await openHiking(page);
    await expect(shownCount(messageWith(page, PICNIC))).toHaveText("2");

    await page.evaluate(() => window.__fake.lock());
    await expect(page.getByRole("dialog", { name: "Outlast is locked" })).toBeVisible();
    const calls = (await callsOf(page, "read_marks")).length;
    const hiking = await ids(page, "chat-hiking");
    await readBy(page, "chat-hiking", "sora", hiking[11]);

    await page.getByLabel("Passcode").fill("2468");
    await page.getByRole("button", { name: "Unlock" }).click();
    await expect(messages(page)).toHaveCount(12);
    expect((await callsOf(page, "read_marks")).length).toBeGreaterThan(calls);
    await expect(shownCount(messageWith(page, PICNIC))).toHaveText("1");
  });
});

test.describe("in Korean", () => {
  test.use({ locale: "ko-KR" });

  test("the count is said in Korean", async ({ app: page }) => {
    await openHiking(page);
    const picnic = messageWith(page, PICNIC);
    await expect(shownCount(picnic)).toHaveText("2");
    await expect(spokenCount(picnic)).toHaveText("2명 안 읽음");
    await expect(countOf(picnic)).toHaveAttribute("title", `아직 안 읽은 사람: ${isolated("Sora Kim", "Mina Park")}`);
    await shot(page, "read-counts-korean");
  });
});

test.describe("in the dark theme", () => {
  test.use({ fakeOptions: { signedIn: true, appearance: { theme: "dark" } } });

  test("the count keeps its colour, readable on the dark chat", async ({ app: page }) => {
    await openHiking(page);
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    const count = countOf(messageWith(page, PICNIC));
    await expect(shownCount(messageWith(page, PICNIC))).toHaveText("2");
    const [colour, weight] = await count.evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el).fontWeight]);
    expect(colour).toBe("rgb(242, 204, 107)");
    expect(Number(weight)).toBeGreaterThanOrEqual(700);
    await shot(page, "read-counts-dark");
  });
});
