// A chat of 100,000 messages: the message list draws only the rows near the
// view (a virtual list) and still opens at the newest message, scrolls far and
// back, jumps to a search hit, keeps the view still while older pages come in,
// and follows new messages at the bottom.
import { chatItem, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

/** Messages open_chat answers; `OLDER` more come from load_older, 100 at a time. */
const SHOWN = 100_000;
const OLDER = 300;
/** Message n reads "Archive n: …"; the newest is number SHOWN + OLDER. */
const NEWEST = SHOWN + OLDER;
/** Far fewer than the history holds; a tall window would still draw well under this many. */
const MAX_ROWS = 200;

test.use({ fakeOptions: { signedIn: true, longChat: { messages: SHOWN, older: OLDER } } });
test.describe.configure({ timeout: 60_000 });

const log = (page: Page) => page.getByTestId("message-list");
/** Message n's server id (padded like the fake's, so ids sort as strings). */
const archiveId = (n: number) => `archive-${String(n).padStart(7, "0")}`;
const byNumber = (page: Page, n: number) => page.locator(`[data-testid="message"][data-msg-id="${archiveId(n)}"]`);
const distanceFromBottom = (page: Page) => log(page).evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
/** The numbers of the messages drawn, in order. */
const drawn = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid="message"]')].map((el) =>
      Number(el.dataset.msgId?.replace("archive-", "") ?? -1),
    ),
  );

/**
 * What is wrong with the rows drawn: rows that overlap or leave space between
 * them, or a blank part of the view where rows should be drawn but are not.
 */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const viewport = document.querySelector<HTMLElement>('[data-testid="message-list"]')!;
    const list = viewport.querySelector<HTMLElement>('[role="list"]')!;
    const view = viewport.getBoundingClientRect();
    const rows = [...list.children].map((el) => el.getBoundingClientRect());
    const problems: string[] = [];
    if (rows.length === 0) return ["no rows drawn"];
    rows.forEach((r, i) => {
      if (i > 0 && Math.abs(r.top - rows[i - 1].bottom) > 1) {
        problems.push(`row ${i} starts at ${r.top}, the row before it ends at ${rows[i - 1].bottom}`);
      }
    });
    const above = parseFloat(list.style.paddingTop) || 0;
    const below = parseFloat(list.style.paddingBottom) || 0;
    if (above > 0 && rows[0].top > view.top + 1) problems.push(`blank above the rows: they start at ${rows[0].top}`);
    const end = rows.at(-1)!.bottom;
    if (below > 0 && end < view.bottom - 1) problems.push(`blank below the rows: they end at ${end}`);
    return problems;
  });
}

async function expectFewRows(page: Page) {
  const count = await messages(page).count();
  expect(count).toBeGreaterThan(3);
  expect(count).toBeLessThan(MAX_ROWS);
}

async function openArchive(page: Page) {
  await chatItem(page, "chat-archive").click();
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Archive");
  await expect(byNumber(page, NEWEST)).toBeInViewport();
  await expect.poll(() => distanceFromBottom(page)).toBeLessThan(2);
}

/** Waits for `frames` animation frames of the page (things measured once drawn settle within a few). */
function frames(page: Page, frames = 3): Promise<void> {
  return page.evaluate(
    (frames) =>
      new Promise<void>((resolve) => {
        const step = (left: number) => (left === 0 ? resolve() : requestAnimationFrame(() => step(left - 1)));
        step(frames);
      }),
    frames,
  );
}

test("opens at the newest message with only the rows near the view in the page", async ({ app: page }) => {
  await openArchive(page);
  await expectFewRows(page);
  expect(await layoutProblems(page)).toEqual([]);
  const newest = byNumber(page, NEWEST);
  await expect(newest).toContainText(`Archive ${NEWEST}:`);
  // The history keeps its name and live region; each row says where it is in all of it.
  await expect(page.getByRole("log", { name: "Messages" })).toHaveAttribute("aria-live", "polite");
  const setsize = Number(await newest.getAttribute("aria-setsize"));
  expect(setsize).toBeGreaterThan(SHOWN);
  await expect(newest).toHaveAttribute("aria-posinset", String(setsize));
  await expect(newest).toHaveAttribute("role", "listitem");
  // A scroll bar as long as the whole history (estimated where not drawn yet).
  expect(await log(page).evaluate((el) => el.scrollHeight)).toBeGreaterThan(SHOWN * 30);
  await shot(page, "virtual-history-newest");
});

test("scrolling far up and back down draws other rows, never many; the wheel brings earlier ones in above", async ({
  app: page,
}) => {
  await openArchive(page);
  const atBottom = await drawn(page);

  // Dragged a third of the way down the scroll bar: rows from there are drawn instead.
  await log(page).evaluate((el) => (el.scrollTop = el.scrollHeight / 3));
  await expect.poll(async () => Math.max(...(await drawn(page)))).toBeLessThan(NEWEST / 2);
  await frames(page);
  expect(await layoutProblems(page)).toEqual([]);
  await expectFewRows(page);
  const there = await drawn(page);
  expect(there.filter((n) => atBottom.includes(n))).toEqual([]);
  // In order, one after another.
  expect(there).toEqual(there.map((_, i) => there[0] + i));
  await shot(page, "virtual-history-a-third-down");

  // The wheel, up through more than a screenful: earlier messages come in above.
  const box = (await log(page).boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 12; i++) await page.mouse.wheel(0, -250);
  await expect.poll(async () => Math.min(...(await drawn(page)))).toBeLessThan(there[0] - 20);
  await frames(page);
  expect(await layoutProblems(page)).toEqual([]);
  await expectFewRows(page);
  await shot(page, "virtual-history-wheeled-up");

  // To the top: the first messages opened with.
  await log(page).evaluate((el) => (el.scrollTop = 0));
  await expect(byNumber(page, OLDER + 1)).toBeVisible();
  await expectFewRows(page);

  // And back to the newest with the jump button.
  await page.getByRole("button", { name: "Jump to the latest message" }).click();
  await expect(byNumber(page, NEWEST)).toBeInViewport();
  await expect.poll(() => distanceFromBottom(page)).toBeLessThan(2);
  await frames(page);
  expect(await layoutProblems(page)).toEqual([]);
  await expectFewRows(page);
});

test("a narrower window measures the rows again, keeping the message at the top of the view", async ({
  app: page,
}) => {
  await openArchive(page);
  await log(page).evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await expect.poll(async () => Math.max(...(await drawn(page)))).toBeLessThan(NEWEST * 0.6);
  await frames(page);
  /** The message at the top of the view, and where its top is. */
  const topMessage = () =>
    page.evaluate(() => {
      const view = document.querySelector('[data-testid="message-list"]')!.getBoundingClientRect();
      const rows = [...document.querySelectorAll<HTMLElement>('[data-testid="message"]')];
      const row = rows.find((r) => r.getBoundingClientRect().bottom > view.top)!;
      return { id: row.dataset.msgId!, top: row.getBoundingClientRect().top };
    });
  const before = await topMessage();
  await page.setViewportSize({ width: 760, height: 720 });
  await frames(page, 5);
  const at = await page.locator(`[data-msg-id="${before.id}"]`).evaluate((el) => el.getBoundingClientRect().top);
  expect(Math.abs(at - before.top)).toBeLessThan(3);
  expect(await layoutProblems(page)).toEqual([]);
  await expectFewRows(page);
  await shot(page, "virtual-history-narrow");
});

test("a search hit 50,000 messages up opens the chat there and highlights it", async ({ app: page }) => {
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Mina Park");
  await page.keyboard.press("Control+k");
  const dialog = page.getByRole("dialog", { name: "Search" });
  await dialog.getByLabel("Search messages").fill("Archive 50000");
  const hit = dialog.getByTestId("search-hit");
  await expect(hit).toHaveCount(1);
  await hit.click();

  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Archive");
  const target = byNumber(page, 50_000);
  await expect(target).toHaveAttribute("data-flash", "true");
  await expect(target).toBeInViewport();
  // Near the middle of the view, once the rows around it are measured.
  await expect
    .poll(async () => {
      const view = (await log(page).boundingBox())!;
      const box = (await target.boundingBox())!;
      return Math.abs(box.y + box.height / 2 - (view.y + view.height / 2));
    })
    .toBeLessThan(40);
  await expectFewRows(page);
  expect(await layoutProblems(page)).toEqual([]);
  await shot(page, "virtual-history-search-jump");
  await expect(target).not.toHaveAttribute("data-flash", "true", { timeout: 5_000 });
});

test("older pages come in above without moving the message at the top of the view", async ({ app: page }) => {
  await openArchive(page);
  await page.evaluate(() => window.__fake.hold("load_older"));
  await log(page).evaluate((el) => (el.scrollTop = 0));
  await expect(page.getByTestId("older-status")).toHaveText("Loading older messages…");
  const anchor = byNumber(page, OLDER + 3);
  await expect(anchor).toBeVisible();
  const before = (await anchor.boundingBox())!.y;

  // Where it is in every frame painted from the page's arrival until the rows above are measured.
  // Read as the frame is about to be painted: in a resize observer made now, whose callback runs
  // in each frame after layout and after the list's own (observers run in the order they were
  // made), which is where the list puts rows it has just measured in place. A read from a task
  // could land between the page's arrival and that frame, and see rows not yet painted.
  const track = page.evaluate(
    ([id]) =>
      new Promise<number[]>((resolve) => {
        const ys: number[] = [];
        const beforePaint = () => {
          const observer = new ResizeObserver(() => {
            observer.disconnect();
            const el = document.querySelector(`[data-msg-id="${id}"]`);
            ys.push(el ? el.getBoundingClientRect().top : Number.NaN);
            if (ys.length < 20) requestAnimationFrame(beforePaint);
            else resolve(ys);
          });
          observer.observe(document.body);
        };
        requestAnimationFrame(beforePaint);
      }),
    [archiveId(OLDER + 3)],
  );
  await page.evaluate(() => window.__fake.release("load_older"));
  const ys = await track;
  await expect(page.getByTestId("older-status")).toHaveText("");
  for (const y of ys) expect(Math.abs(y - before)).toBeLessThan(3);
  expect(Math.abs((await anchor.boundingBox())!.y - before)).toBeLessThan(3);
  expect(await layoutProblems(page)).toEqual([]);
  await expectFewRows(page);

  // The page is above it, in order.
  const box = (await log(page).boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -400);
  await expect(byNumber(page, OLDER)).toBeVisible();
  const order = await drawn(page);
  expect(order).toEqual(order.map((_, i) => order[0] + i));
  await shot(page, "virtual-history-older-page");
});

test("at the bottom, new messages come into view; scrolled up, they are counted", async ({ app: page }) => {
  await openArchive(page);
  await page.evaluate(() => window.__fake.reply("chat-archive", "Fresh from the trail: the bridge is open again."));
  await expect(messageWith(page, "Fresh from the trail")).toBeInViewport();
  await expect.poll(() => distanceFromBottom(page)).toBeLessThan(2);

  // An own message too.
  const composer = page.getByTestId("composer");
  await composer.fill("Great, see you there.");
  await composer.press("Enter");
  await expect(messageWith(page, "Great, see you there.")).toBeInViewport();
  await expect.poll(() => distanceFromBottom(page)).toBeLessThan(2);
  await expectFewRows(page);
  expect(await layoutProblems(page)).toEqual([]);
  await shot(page, "virtual-history-new-message");

  // Scrolled up a little: the view stays, and a button says what came.
  await log(page).evaluate((el) => (el.scrollTop -= 1500));
  await frames(page);
  const top = await log(page).evaluate((el) => el.scrollTop);
  await page.evaluate(() => window.__fake.reply("chat-archive", "Also: bring a jacket."));
  const jump = page.getByRole("button", { name: "Jump to the latest message" });
  await expect(jump).toContainText("1 new message");
  expect(await log(page).evaluate((el) => el.scrollTop)).toBe(top);
  await jump.click();
  await expect(messageWith(page, "Also: bring a jacket.")).toBeInViewport();
});
