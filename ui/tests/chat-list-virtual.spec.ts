// A thousand chats: the chat list draws only the rows near its view (a virtual
// list) and still reaches every chat by keyboard, filter and scrolling, keeps
// the open chat highlighted (and in view when opened from elsewhere), and keeps
// list semantics for screen readers.
import { chatItem, expect, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

/** The demo's three chats and this many more: a thousand in all. */
const MANY = 997;
const TOTAL = MANY + 3;
/** Far fewer than the chats; a tall window would still draw well under this many. */
const MAX_ROWS = 60;

test.use({ fakeOptions: { signedIn: true, manyChats: MANY } });

const list = (page: Page) => page.getByTestId("chat-list");
const items = (page: Page) => page.getByTestId("chat-item");
const rows = (page: Page) => list(page).getByRole("listitem");
const filterField = (page: Page) => page.getByRole("searchbox", { name: "Filter chats" });

async function ready(page: Page) {
  await expect(messages(page)).toHaveCount(4);
  await expect(chatItem(page, "chat-mina")).toHaveAttribute("aria-current", "true");
}

async function expectFewRows(page: Page) {
  const count = await items(page).count();
  expect(count).toBeGreaterThan(5);
  expect(count).toBeLessThan(MAX_ROWS);
}

/** Scrolls the chat list with the mouse wheel until `done`, a step a frame, as a user would. */
async function wheelUntil(page: Page, deltaY: number, done: () => Promise<boolean>) {
  const box = (await list(page).boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let step = 0; step < 200 && !(await done()); step++) {
    await page.mouse.wheel(0, deltaY);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  }
  expect(await done()).toBe(true);
}

const scrollTop = (page: Page) => list(page).evaluate((el) => el.scrollTop);
const atEnd = (page: Page) => list(page).evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2);

test("a thousand chats: few rows in the page, each a list item that says where it is", async ({ app: page }) => {
  await ready(page);
  await expectFewRows(page);
  await expect(list(page).getByRole("list", { name: "Chats" })).toBeVisible();
  await expect(rows(page).first()).toHaveAttribute("aria-setsize", String(TOTAL));
  await expect(rows(page).first()).toHaveAttribute("aria-posinset", "1");
  await expect(rows(page).nth(2)).toHaveAttribute("aria-posinset", "3");
  // Rows are one after another with nothing between them, and fill the view.
  const gaps = await list(page).evaluate((el) => {
    const drawn = [...el.querySelectorAll('[role="listitem"]')].map((r) => r.getBoundingClientRect());
    return drawn.slice(1).map((r, i) => Math.round(r.top - drawn[i].bottom));
  });
  expect(new Set(gaps)).toEqual(new Set([0]));
  // The start-up report still counts every chat, not the rows drawn.
  await expect.poll(() => page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "chat_list_painted"))).toEqual([
    { cmd: "chat_list_painted", args: { chats: TOTAL } },
  ]);
  await shot(page, "chat-list-1000");

  // Far down: other rows, still few, numbered by their place among all.
  await wheelUntil(page, 4000, () => atEnd(page));
  await expect(chatItem(page, `chat-many-${MANY}`)).toBeInViewport();
  await expect(chatItem(page, "chat-mina")).toHaveCount(0);
  await expectFewRows(page);
  await expect(rows(page).last()).toHaveAttribute("aria-posinset", String(TOTAL));
  await shot(page, "chat-list-1000-end");
});

test("End and Home reach the last and first chats, drawing them; Tab finds the open chat wherever it is", async ({
  app: page,
}) => {
  await ready(page);
  await chatItem(page, "chat-mina").focus();

  await page.keyboard.press("End");
  const last = chatItem(page, `chat-many-${MANY}`);
  await expect(last).toBeFocused();
  await expect(last).toHaveAttribute("aria-current", "true");
  await expect(last).toBeInViewport({ ratio: 1 });
  await expect(page.getByRole("heading", { level: 2 })).toHaveText(`Neighbours ${MANY}`);
  await expectFewRows(page);

  await page.keyboard.press("ArrowUp");
  await expect(chatItem(page, `chat-many-${MANY - 1}`)).toBeFocused();
  await expect(chatItem(page, `chat-many-${MANY - 1}`)).toHaveAttribute("aria-current", "true");

  await page.keyboard.press("Home");
  await expect(chatItem(page, "chat-mina")).toBeFocused();
  await expect(chatItem(page, "chat-mina")).toHaveAttribute("aria-current", "true");
  await expect.poll(() => scrollTop(page)).toBe(0);
  await page.keyboard.press("ArrowDown");
  await expect(chatItem(page, "chat-hiking")).toBeFocused();

  // The open chat scrolled out of the page: Tab into the list still lands on it.
  await wheelUntil(page, 4000, () => atEnd(page));
  await expect(chatItem(page, "chat-hiking")).toHaveCount(0);
  await page.getByRole("button", { name: "Settings" }).focus();
  await page.keyboard.press("Tab");
  await expect(chatItem(page, "chat-hiking")).toBeFocused();
  await expect(chatItem(page, "chat-hiking")).toBeInViewport({ ratio: 1 });
  await page.keyboard.press("ArrowDown");
  await expect(chatItem(page, "chat-joon")).toBeFocused();

  // Scrolled away with the wheel while a chat has the focus: the keys go on from the open chat.
  await wheelUntil(page, 4000, () => atEnd(page));
  await expect(chatItem(page, "chat-joon")).toHaveCount(0);
  await page.keyboard.press("ArrowDown");
  await expect(chatItem(page, "chat-many-1")).toBeFocused();
  await expect(chatItem(page, "chat-many-1")).toHaveAttribute("aria-current", "true");
});

test("typing in the list filters it, finding a chat far from the rows drawn", async ({ app: page }) => {
  await ready(page);
  const target = chatItem(page, "chat-many-900");
  await expect(target).toHaveCount(0);

  await chatItem(page, "chat-mina").focus();
  await page.keyboard.type("lunch crew 90");
  await expect(filterField(page)).toBeFocused();
  await expect(filterField(page)).toHaveValue("lunch crew 90");
  await expect(target).toBeVisible();
  await expect(items(page)).toHaveCount(2); // Lunch crew 900 and 908
  await expect(rows(page).first()).toHaveAttribute("aria-setsize", "2");
  await expect(list(page).getByRole("status")).toHaveText("2 chats");
  await page.keyboard.type("0");
  await expect(items(page)).toHaveCount(1);
  await shot(page, "chat-list-filtered");

  // Enter opens the first chat left, ready to write.
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Lunch crew 900");
  await expect(page.getByTestId("composer")).toBeFocused();
  await expect(target).toHaveAttribute("aria-current", "true");

  // Esc ends filtering: every chat again, the focus on the open one, drawn where it is.
  await filterField(page).focus();
  await page.keyboard.press("Escape");
  await expect(filterField(page)).toHaveCount(0);
  await expect(target).toBeFocused();
  await expect(target).toBeInViewport({ ratio: 1 });
  await expect(rows(page).first()).toHaveAttribute("aria-setsize", String(TOTAL));
  await expectFewRows(page);

  // The header's button opens the filter too; nothing matching says so; Down goes into what is left.
  await page.getByRole("button", { name: "Filter chats" }).click();
  await expect(filterField(page)).toBeFocused();
  await page.keyboard.type("no such chat");
  await expect(items(page)).toHaveCount(0);
  await expect(list(page).getByRole("status")).toHaveText("No chats match.");
  await filterField(page).fill("Mina");
  await expect(chatItem(page, "chat-mina")).toBeVisible();
  await page.keyboard.press("ArrowDown");
  await expect(items(page).first()).toBeFocused();
  await expect(items(page).first()).toHaveAttribute("aria-current", "true");
  await expect(page.getByTestId("composer")).not.toBeFocused();
});

test("the open chat stays highlighted after scrolling away and back; news comes in at the top", async ({
  app: page,
}) => {
  await ready(page);
  await chatItem(page, "chat-many-4").click();
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Lunch crew 4");
  const selected = page.locator('[data-testid="chat-item"][aria-current="true"]');
  await expect(selected).toHaveAttribute("data-chat-id", "chat-many-4");

  await wheelUntil(page, 4000, () => atEnd(page));
  await expect(chatItem(page, "chat-many-4")).toHaveCount(0);
  await expect(selected).toHaveCount(0);
  await wheelUntil(page, -4000, async () => (await scrollTop(page)) === 0);
  await expect(chatItem(page, "chat-many-4")).toHaveAttribute("aria-current", "true");
  await expect(chatItem(page, "chat-many-4")).toHaveClass(/selected/);
  await expect(selected).toHaveCount(1);
  const background = await chatItem(page, "chat-many-4").evaluate((el) => getComputedStyle(el).backgroundColor);
  const other = await chatItem(page, "chat-many-5").evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(background).not.toBe(other);

  // At the top, a chat far down that gets a message comes into view at the top.
  await page.evaluate(() => window.__fake.reply("chat-many-800", "Are you coming to practice?"));
  await expect(items(page).first()).toHaveAttribute("data-chat-id", "chat-many-800");
  await expect(items(page).first()).toBeInViewport();
  await expect(items(page).first()).toContainText("Are you coming to practice?");
  expect(await scrollTop(page)).toBe(0);
});

test("a chat opened from elsewhere is scrolled into view in the list; one clicked there is not scrolled to", async ({
  app: page,
}) => {
  await ready(page);
  const selected = page.locator('[data-testid="chat-item"][aria-current="true"]');

  // A search hit in a chat far down the list (the 50 newest hits: chat-many-4, 9, … 249).
  const far = chatItem(page, "chat-many-249");
  await expect(far).toHaveCount(0);
  await page.keyboard.press("Control+k");
  const dialog = page.getByRole("dialog", { name: "Search" });
  await dialog.getByLabel("Search messages").pressSequentially("photos are up");
  const hits = dialog.getByTestId("search-hit");
  await expect(hits).toHaveCount(50);
  await expect(hits.last()).toContainText("Climbing 249");
  await hits.last().click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Climbing 249");
  await expect(far).toHaveAttribute("aria-current", "true");
  await expect(far).toBeInViewport({ ratio: 1 });
  await expect(selected).toHaveCount(1);
  // Moved only as far as it takes: the row is at the bottom of the view.
  const edges = () =>
    page.evaluate(() => {
      const list = document.querySelector('[data-testid="chat-list"]')!.getBoundingClientRect();
      const row = document.querySelector('[data-testid="chat-item"][aria-current="true"]')!.getBoundingClientRect();
      return { top: Math.round(row.top - list.top), bottom: Math.round(list.bottom - row.bottom) };
    });
  await expect.poll(async () => (await edges()).bottom).toBeLessThan(8);
  await expectFewRows(page);
  await shot(page, "chat-list-search-hit-far");

  // A notification for a chat further still; then one back near the top (scrolled up to it).
  await page.evaluate(() => window.__fake.openChat("chat-many-900"));
  await expect(chatItem(page, "chat-many-900")).toHaveAttribute("aria-current", "true");
  await expect(chatItem(page, "chat-many-900")).toBeInViewport({ ratio: 1 });
  await page.evaluate(() => window.__fake.openChat("chat-many-3"));
  await expect(chatItem(page, "chat-many-3")).toHaveAttribute("aria-current", "true");
  await expect(chatItem(page, "chat-many-3")).toBeInViewport({ ratio: 1 });
  await expect.poll(async () => (await edges()).top).toBeLessThan(8);

  // A row only partly in view, clicked: opened where it is, the list stays still.
  const partly = await list(page).evaluate((el) => {
    const view = el.getBoundingClientRect();
    const rows = [...el.querySelectorAll<HTMLElement>('[data-testid="chat-item"]')];
    const row = rows.find((r) => {
      const box = r.getBoundingClientRect();
      return box.top < view.bottom - 10 && box.bottom > view.bottom + 10;
    })!;
    const box = row.getBoundingClientRect();
    return { id: row.dataset.chatId!, x: box.left + box.width / 2, y: (box.top + view.bottom) / 2 };
  });
  const before = await scrollTop(page);
  await page.mouse.click(partly.x, partly.y);
  await expect(chatItem(page, partly.id)).toHaveAttribute("aria-current", "true");
  await expect(page.getByTestId("composer")).toBeFocused();
  expect(await scrollTop(page)).toBe(before);
});

test.describe("in Korean", () => {
  test.use({ locale: "ko-KR" });

  test("the filter speaks Korean", async ({ app: page }) => {
    await ready(page);
    await page.getByRole("button", { name: "채팅방 찾기" }).click();
    const field = page.getByRole("searchbox", { name: "채팅방 찾기" });
    await expect(field).toHaveAttribute("placeholder", "채팅방 찾기");
    await field.fill("Futsal 23");
    await expect(items(page)).toHaveCount(3); // 23, 231 and 239
    await expect(list(page).getByRole("status")).toHaveText("채팅방 3개");
    await field.fill("없는 채팅방");
    await expect(list(page).getByRole("status")).toHaveText("일치하는 채팅방이 없습니다.");
  });
});
