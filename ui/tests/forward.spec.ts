// Forwarding a message from its menu: a dialog lists the chats (narrowed by typing), the chosen
// ones get a copy (the core queues the text and sends the files again), and the dialog closes.
import { callsOf, chatItem, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");
const COFFEE = "Perfect. I'll bring coffee for everyone.";
const dialog = (page: Page, name = "Forward message") => page.getByRole("dialog", { name });

async function forwardFromMenu(page: Page, label = "Forward…") {
  await expect(messages(page)).toHaveCount(4);
  await messageWith(page, COFFEE).getByTestId("message-body").click({ button: "right" });
  await page.getByRole("menuitem", { name: label }).click();
}

test.describe("forwarding", () => {
  test("chosen chats get a copy; the dialog says what goes and closes after", async ({ app: page }) => {
    await forwardFromMenu(page);
    const forward = dialog(page);
    await expect(forward).toBeVisible();
    await expect(forward.getByText(COFFEE)).toBeVisible();
    const send = forward.getByTestId("forward-send");
    await expect(send).toBeDisabled();
    await expect(send).toHaveText("Forward");
    await forward.getByTestId("forward-filter").fill("hik");
    await expect(forward.getByRole("checkbox")).toHaveCount(1);
    await forward.getByRole("checkbox", { name: "Weekend hiking" }).check();
    await forward.getByTestId("forward-filter").fill("");
    await forward.getByRole("checkbox", { name: "Joon Lee" }).check();
    await expect(send).toHaveText("Forward to 2 chats");
    await shot(page, "forward-dialog");
    await send.click();

    await expect(forward).toHaveCount(0);
    const [call] = await callsOf(page, "forward_message");
    expect((call as { chatIds: string[] }).chatIds).toEqual(["chat-hiking", "chat-joon"]);
    expect((call as { message: { body: string } }).message.body).toBe(COFFEE);
    await chatItem(page, "chat-joon").click();
    await expect(messageWith(page, COFFEE)).toHaveAttribute("data-own", "true");
  });

  test("a forward the core refuses is said in the dialog, which stays open", async ({ app: page }) => {
    await forwardFromMenu(page);
    await page.evaluate(() =>
      window.__fake.failNext("forward_message", {
        code: "service_unavailable",
        message: "the media service cannot be reached",
        retryable: true,
      }),
    );
    await dialog(page).getByRole("checkbox", { name: "Joon Lee" }).check();
    await dialog(page).getByTestId("forward-send").click();
    await expect(dialog(page).getByRole("alert")).toHaveText("Couldn't forward: the media service cannot be reached");
    // Esc closes it; nothing was forwarded.
    await page.keyboard.press("Escape");
    await expect(dialog(page)).toHaveCount(0);
    await chatItem(page, "chat-joon").click();
    await expect(messageWith(page, COFFEE)).toHaveCount(0);
  });

  test("a refused message offers no Forward: what is forwarded is what the server stored", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.evaluate(() => window.__fake.addUnsent("chat-mina", "Here are the photos", "too large"));
    await messageWith(page, "Here are the photos").getByTestId("message-body").click({ button: "right" });
    await expect(page.getByRole("menuitem", { name: "Forward…" })).toHaveCount(0);
  });
});

test.describe("in Korean", () => {
  test.use({ locale: "ko-KR" });

  test("the dialog speaks Korean", async ({ app: page }) => {
    await forwardFromMenu(page, "전달…");
    const forward = dialog(page, "메시지 전달");
    await forward.getByRole("checkbox", { name: "Joon Lee" }).check();
    await expect(forward.getByTestId("forward-send")).toHaveText("1개 채팅방에 전달");
    await shot(page, "forward-dialog-korean");
  });
});
