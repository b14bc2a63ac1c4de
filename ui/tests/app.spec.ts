import { test as base, expect, type Page } from "@playwright/test";
import { installFakeTauri, type FakeOptions } from "./fake-tauri";

const SCREENS = "test-results/screens";

type Fixtures = { fakeOptions: FakeOptions; app: Page };

// `app`: a page with the fake core installed and the UI loaded. Fails the test
// on any page error or console error (a CSP violation shows up as one).
const test = base.extend<Fixtures>({
  fakeOptions: [{ signedIn: true }, { option: true }],
  app: async ({ page, fakeOptions }, use) => {
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    await page.addInitScript(installFakeTauri, fakeOptions);
    await page.goto("/");
    await use(page);
    expect(problems, "no page or console errors").toEqual([]);
  },
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SCREENS}/${name}.png` });
}

const messages = (page: Page) => page.getByTestId("message");
const messageWith = (page: Page, text: string) => messages(page).filter({ hasText: text });
const chatItem = (page: Page, chatId: string) => page.locator(`[data-testid="chat-item"][data-chat-id="${chatId}"]`);

test("chat list shows the chats with previews and the first chat's history", async ({ app: page }) => {
  const items = page.getByTestId("chat-list").getByTestId("chat-item");
  await expect(items).toHaveCount(3);
  // Latest activity first.
  await expect(items.nth(0)).toHaveAttribute("data-chat-id", "chat-mina");
  await expect(items.nth(1)).toHaveAttribute("data-chat-id", "chat-hiking");
  await expect(items.nth(2)).toHaveAttribute("data-chat-id", "chat-joon");
  await expect(items.nth(0)).toContainText("Mina Park");
  await expect(items.nth(0)).toContainText("Did you see the trail report? The upper path is muddy");
  await expect(items.nth(1)).toContainText("Mina Park: Does anyone have a spare pair of poles?");
  await expect(items.nth(1).getByTestId("unread-badge")).toHaveText("2");
  await expect(items.nth(2)).toContainText("You: Thanks for the book!");
  await expect(items.nth(0)).toHaveAttribute("aria-current", "true");

  // The first chat is open, oldest message first.
  const log = page.getByRole("log");
  await expect(log).toHaveAttribute("aria-live", "polite");
  await expect(messages(page)).toHaveCount(4);
  await expect(messages(page).first()).toContainText("Are we still on for Saturday?");
  await expect(messages(page).last()).toContainText("The upper path is muddy after the rain.");
  await expect(messageWith(page, "7:30 at the north gate")).toHaveAttribute("data-own", "true");
  await expect(messageWith(page, "Are we still on")).toHaveAttribute("data-own", "false");
  await expect(page.getByRole("heading", { name: "Mina Park" })).toBeVisible();
  await expect(page.getByTestId("connection-banner")).toBeHidden();
  await shot(page, "01-chat-list");

  // Opening another chat shows its history and clears its unread badge.
  await items.nth(1).click();
  await expect(items.nth(1)).toHaveAttribute("aria-current", "true");
  await expect(messages(page)).toHaveCount(12);
  await expect(items.nth(1).getByTestId("unread-badge")).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Weekend hiking" })).toBeVisible();
  await shot(page, "01b-group-chat");
});

test("sending: pending, then sent after the ack; replies appear on the left", async ({ app: page }) => {
  const composer = page.getByTestId("composer");
  await expect(messages(page)).toHaveCount(4);
  await expect(composer).toBeFocused();

  // Empty and whitespace-only messages are not sent.
  await composer.press("Enter");
  await composer.fill("   \n  ");
  await composer.press("Enter");
  expect(await page.evaluate(() => window.__fake.sent.length)).toBe(0);

  // Shift+Enter inserts a newline instead of sending.
  await composer.fill("");
  await composer.pressSequentially("Sounds great,");
  await composer.press("Shift+Enter");
  await composer.pressSequentially("see you on Saturday!");
  await expect(composer).toHaveValue("Sounds great,\nsee you on Saturday!");
  expect(await page.evaluate(() => window.__fake.sent.length)).toBe(0);

  await composer.press("Enter");
  const mine = messageWith(page, "see you on Saturday!");
  await expect(mine).toHaveCount(1);
  await expect(mine).toHaveAttribute("data-state", "pending");
  await expect(mine).toHaveAttribute("data-own", "true");
  await expect(mine).toContainText("Sending…");
  await expect(mine.getByTestId("message-body")).toHaveText("Sounds great,\nsee you on Saturday!");
  await expect(composer).toHaveValue("");
  await expect(messages(page)).toHaveCount(5);
  await shot(page, "02a-pending");

  const sent = await page.evaluate(() => window.__fake.sent);
  expect(sent).toHaveLength(1);
  expect(sent[0].body).toBe("Sounds great,\nsee you on Saturday!");
  const calls = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "send_message"));
  expect(calls[0].args).toEqual({ chatId: "chat-mina", body: "Sounds great,\nsee you on Saturday!" });

  await page.evaluate((id) => window.__fake.ack(id), sent[0].client_msg_id!);
  await expect(mine).toHaveAttribute("data-state", "sent");
  await expect(mine).toContainText("Sent");
  await expect(messages(page)).toHaveCount(5); // updated in place, not duplicated

  await page.evaluate(() => window.__fake.reply("chat-mina", "Great, see you there!"));
  const reply = messageWith(page, "Great, see you there!");
  await expect(reply).toHaveCount(1);
  await expect(reply).toHaveAttribute("data-own", "false");
  await expect(messages(page).last()).toHaveAttribute("data-own", "false");
  // Own messages sit on the right, others on the left.
  const mineBox = (await mine.getByTestId("message-body").boundingBox())!;
  const replyBox = (await reply.getByTestId("message-body").boundingBox())!;
  expect(replyBox.x + replyBox.width).toBeLessThan(mineBox.x + 1);
  await expect(chatItem(page, "chat-mina")).toContainText("Great, see you there!");
  await expect(chatItem(page, "chat-mina").getByTestId("unread-badge")).toHaveCount(0);

  // A failure is shown in plain words.
  await composer.fill("This one will not make it");
  await composer.press("Enter");
  const doomed = messageWith(page, "This one will not make it");
  await expect(doomed).toHaveAttribute("data-state", "pending");
  const id2 = await page.evaluate(() => window.__fake.sent[1].client_msg_id!);
  await page.evaluate((id) => window.__fake.fail(id, "message too large"), id2);
  await expect(doomed).toHaveAttribute("data-state", "failed");
  await expect(doomed).toContainText("Failed: message too large");
  await shot(page, "02b-sent-reply-failed");
});

test("new messages scroll into view only when the reader is at the bottom", async ({ app: page }) => {
  await chatItem(page, "chat-hiking").click();
  await expect(messages(page)).toHaveCount(12);
  const log = page.getByTestId("message-list");
  const distanceFromBottom = () => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  expect(await log.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
  await expect.poll(distanceFromBottom).toBeLessThan(2);

  await page.evaluate(() => window.__fake.reply("chat-hiking", "I have two spare poles, I'll bring them."));
  await expect(messageWith(page, "spare poles, I'll bring")).toBeInViewport();
  await expect.poll(distanceFromBottom).toBeLessThan(2);

  // Scrolled up: stay put, offer a jump button instead.
  await log.evaluate((el) => (el.scrollTop = 0));
  await page.evaluate(() => window.__fake.reply("chat-hiking", "Also bringing a first-aid kit."));
  const jump = page.getByRole("button", { name: "Jump to the latest message" });
  await expect(jump).toContainText("1 new message");
  expect(await log.evaluate((el) => el.scrollTop)).toBe(0);
  await shot(page, "03-scrolled-up");
  await jump.click();
  await expect.poll(distanceFromBottom).toBeLessThan(2);
  await expect(jump).toBeHidden();
});

test("connection banner shows reconnecting in plain words and hides when connected", async ({ app: page }) => {
  const banner = page.getByTestId("connection-banner");
  await expect(page.getByTestId("chat-item")).toHaveCount(3);
  await expect(banner).toBeHidden();

  await page.evaluate(() =>
    window.__fake.setConnection({ state: "waiting", retry_in_ms: 12000, reason: "gateway unreachable" }),
  );
  await expect(banner).toBeVisible();
  await expect(banner).toContainText("Reconnecting");
  await expect(banner).toContainText(/Reconnecting in 1[12] s — gateway unreachable/);
  await shot(page, "04a-reconnecting");

  await page.evaluate(() => window.__fake.setConnection({ state: "connecting", endpoint: "127.0.0.1:7711" }));
  await expect(banner).toHaveText("Connecting…");

  await page.evaluate(() =>
    window.__fake.setConnection({ state: "connected", endpoint: "127.0.0.1:7711", session_id: "sess-2" }),
  );
  await expect(banner).toBeHidden();

  await page.evaluate(() => window.__fake.setConnection({ state: "signed_out" }));
  await expect(banner).toContainText("Signed out");
  await shot(page, "04b-signed-out");
});

test.describe("without a session", () => {
  test.use({ fakeOptions: { signedIn: false } });

  test("sign-in screen shows the error message, then the chats after a good login", async ({ app: page }) => {
    const server = page.getByLabel("Server address");
    await expect(server).toHaveValue("http://127.0.0.1:7710");
    await expect(page.getByTestId("chat-list")).toHaveCount(0);
    await shot(page, "05a-sign-in");

    await page.getByLabel("Username").fill("me");
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Wrong username or password");
    await shot(page, "05b-sign-in-error");

    await page.getByLabel("Password").fill("secret");
    await page.getByLabel("Password").press("Enter");
    await expect(page.getByTestId("chat-item")).toHaveCount(3);
    await expect(messages(page)).toHaveCount(4);
    const logins = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "login"));
    expect(logins.at(-1)!.args).toEqual({ server: "http://127.0.0.1:7710", username: "me", password: "secret" });
    await shot(page, "05c-signed-in");
  });
});

test("message bodies are text, never HTML", async ({ app: page }) => {
  const payload = `<img src=x onerror="window.__pwned=1">`;
  await expect(messages(page)).toHaveCount(4);
  await page.evaluate((body) => window.__fake.reply("chat-mina", body), payload);
  const received = messages(page).last();
  await expect(received.getByTestId("message-body")).toHaveText(payload);

  const composer = page.getByTestId("composer");
  await composer.fill(payload);
  await composer.press("Enter");
  await expect(messages(page).last().getByTestId("message-body")).toHaveText(payload);
  await expect(messages(page).last()).toHaveAttribute("data-own", "true");
  await expect(chatItem(page, "chat-mina")).toContainText(payload);

  await expect(page.locator("img")).toHaveCount(0);
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  await shot(page, "06-html-as-text");
});
