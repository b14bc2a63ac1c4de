// Renaming a group from its header: the pencil (or a double-click on the name) makes the name a
// field; Enter saves (shown at once), Esc cancels; a refusal is said by the field; a chat with
// one person has no pencil.
import { callsOf, chatItem, expect, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

async function openHiking(page: Page) {
  await expect(messages(page)).toHaveCount(4);
  await chatItem(page, "chat-hiking").click();
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Weekend hiking");
}

test.describe("renaming a group", () => {
  test("Enter saves the new name; the header and the chat list show it", async ({ app: page }) => {
    await openHiking(page);
    await page.getByTestId("rename-chat").click();
    const field = page.getByTestId("rename-field");
    await expect(field).toBeFocused();
    await expect(field).toHaveValue("Weekend hiking");
    await field.fill("Sunrise hike");
    await shot(page, "rename-chat");
    await field.press("Enter");
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Sunrise hike");
    await expect(chatItem(page, "chat-hiking")).toContainText("Sunrise hike");
    expect(await callsOf(page, "rename_chat")).toEqual([{ chatId: "chat-hiking", title: "Sunrise hike" }]);
    await expect(page.getByTestId("rename-chat")).toBeFocused();
  });

  test("Esc cancels; a double-click also starts; a refusal is said and the field stays", async ({ app: page }) => {
    await openHiking(page);
    await page.getByRole("heading", { level: 2 }).dblclick();
    const field = page.getByTestId("rename-field");
    await field.fill("Never mind");
    await field.press("Escape");
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Weekend hiking");
    expect(await callsOf(page, "rename_chat")).toEqual([]);

    await page.getByTestId("rename-chat").click();
    await page.getByTestId("rename-field").fill("   ");
    await page.getByTestId("rename-field").press("Enter");
    await expect(page.getByRole("alert")).toHaveText("Couldn't rename: a chat's name is 1 to 100 characters");
    await expect(page.getByTestId("rename-field")).toBeVisible();
  });

  test("a chat with one person is titled after them: no pencil", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Mina Park");
    await expect(page.getByTestId("rename-chat")).toHaveCount(0);
  });
});

test.describe("in Korean", () => {
  test.use({ locale: "ko-KR" });

  test("the pencil is named in Korean", async ({ app: page }) => {
    await openHiking(page);
    await expect(page.getByTestId("rename-chat")).toHaveAccessibleName("채팅 이름 바꾸기");
  });
});
