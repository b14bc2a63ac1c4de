// Start-up reporting and recovering from missed events: the first painted
// chat list is reported once (the launch benchmark measures to it), and a
// "core-resync" from the shell makes the UI read the chats and the open chat
// again, so a burst that outran it leaves nothing stale on screen.
import { callsOf, expect, messages, test } from "./fixtures";

test("the first painted chat list is reported once, with how many chats it shows", async ({ app: page }) => {
  await expect(messages(page)).toHaveCount(4);
  await expect.poll(() => callsOf(page, "chat_list_painted")).toHaveLength(1);
  const [call] = await callsOf(page, "chat_list_painted");
  expect(call.chats).toBe(await page.getByTestId("chat-item").count());
});

test("missed events make the UI read the chat list and the open chat again", async ({ app: page }) => {
  await expect(messages(page)).toHaveCount(4);
  const chatsBefore = (await callsOf(page, "list_chats")).length;
  const opensBefore = (await callsOf(page, "open_chat")).length;
  await page.evaluate(() => window.__fake.emitEvent("core-resync", 812));
  await expect.poll(async () => (await callsOf(page, "list_chats")).length).toBe(chatsBefore + 1);
  await expect.poll(async () => (await callsOf(page, "open_chat")).length).toBeGreaterThan(opensBefore);
  await expect(messages(page)).toHaveCount(4);
  expect(await callsOf(page, "chat_list_painted")).toHaveLength(1);
});
