// Saving a chat as a text file (KakaoTalk's "save chat"): a button in the chat header, the core
// writes the file from the local cache into Downloads, and the header says where, how many
// messages, and whether some history is not on this computer.
import { callsOf, chatItem, expect, messages, screenshots, test } from "./fixtures";

const shot = screenshots("test-results/screenshots");

test.describe("saving a chat as text", () => {
  test("the header's button saves the open chat and says where; another chat starts clean", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const save = page.getByTestId("export-chat");
    await expect(save).toHaveAccessibleName("Save chat as text");
    await save.click();

    expect(await callsOf(page, "export_chat")).toEqual([{ chatId: "chat-mina", language: "english" }]);
    const saved = page.getByTestId("chat-exported");
    await expect(saved).toHaveText("Saved 4 messages to /home/me/Downloads/Outlast_Mina Park_20261208_130500.txt");
    await expect(saved).toHaveRole("status");
    await shot(page, "chat-exported");

    await chatItem(page, "chat-joon").click();
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Joon Lee");
    await expect(page.getByTestId("chat-exported")).toHaveCount(0);
  });

  test("a chat with history missing here says the file marks where", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const first = await page.evaluate(() => window.__fake.messagesOf("chat-mina")[0].msg_id);
    await page.evaluate((id) => window.__fake.setGaps("chat-mina", [id!]), first);
    await page.getByTestId("export-chat").click();
    await expect(page.getByTestId("chat-exported")).toContainText(
      "Some of its history isn't on this computer; the file says where.",
    );
  });

  test("a save the core refuses is said in the header", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.evaluate(() =>
      window.__fake.failNext("export_chat", { code: "invalid_input", message: "there is no Downloads folder", retryable: false }),
    );
    await page.getByTestId("export-chat").click();
    await expect(page.getByTestId("export-error")).toHaveText("Couldn't save this chat: there is no Downloads folder");
    await expect(page.getByTestId("chat-exported")).toHaveCount(0);
    // Trying again works, and the error goes.
    await page.getByTestId("export-chat").click();
    await expect(page.getByTestId("chat-exported")).toBeVisible();
    await expect(page.getByTestId("export-error")).toHaveCount(0);
  });
});

test.describe("in Korean", () => {
  test.use({ locale: "ko-KR" });

  test("the file's words are Korean and so is what the header says", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const save = page.getByTestId("export-chat");
    await expect(save).toHaveAccessibleName("대화 내용 저장");
    await save.click();
    expect(await callsOf(page, "export_chat")).toEqual([{ chatId: "chat-mina", language: "korean" }]);
    await expect(page.getByTestId("chat-exported")).toHaveText(
      "/home/me/Downloads/Outlast_Mina Park_20261208_130500.txt에 메시지 4개를 저장했습니다",
    );
    await shot(page, "chat-exported-korean");
  });
});
