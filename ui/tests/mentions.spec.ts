// @mentions in a group: typing "@" offers the members (arrows, Enter or Tab, a click; Esc closes),
// the name goes in as "@Name ", and mentions in messages are marked: the user's own name
// strongly. (That a mention of the user notifies in a muted chat is the desktop crate's rule,
// tested with a real notification server in crates/outlast-desktop/tests/notifications.rs.)
import { callsOf, chatItem, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const suggestions = (page: Page) => page.getByRole("listbox", { name: "People to mention" });

async function openHiking(page: Page) {
  await expect(messages(page)).toHaveCount(4);
  await chatItem(page, "chat-hiking").click();
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Weekend hiking");
}

test.describe("mentions", () => {
  test("typing @ offers the group's other members; Enter puts the name in and it is marked once sent", async ({
    app: page,
  }) => {
    await openHiking(page);
    const composer = page.getByTestId("composer");
    await composer.click();
    await composer.pressSequentially("Bring snacks @");
    await expect(suggestions(page).getByRole("option")).toHaveText(["Joon Lee", "Mina Park", "Sora Kim"]);
    await expect(suggestions(page).getByRole("option", { name: "Joon Lee" })).toHaveAttribute("aria-selected", "true");
    await composer.pressSequentially("s");
    await expect(suggestions(page).getByRole("option")).toHaveText(["Sora Kim"]);
    await shot(page, "mention-suggestions");
    await composer.press("Enter");
    await expect(suggestions(page)).toHaveCount(0);
    await expect(composer).toHaveValue("Bring snacks @Sora Kim ");
    // Enter now sends.
    await composer.pressSequentially("please");
    await composer.press("Enter");
    expect((await callsOf(page, "send_message")).at(-1)).toEqual({ chatId: "chat-hiking", body: "Bring snacks @Sora Kim please" });
    const sent = messageWith(page, "Bring snacks");
    await expect(sent.getByTestId("mention")).toHaveText("@Sora Kim");
  });

  test("arrows, Tab and a click choose; Esc closes the list and Enter then sends", async ({ app: page }) => {
    await openHiking(page);
    const composer = page.getByTestId("composer");
    await composer.click();
    await composer.pressSequentially("@");
    await composer.press("ArrowDown");
    await expect(suggestions(page).getByRole("option", { name: "Mina Park" })).toHaveAttribute("aria-selected", "true");
    await composer.press("ArrowUp");
    await composer.press("ArrowUp");
    await expect(suggestions(page).getByRole("option", { name: "Sora Kim" })).toHaveAttribute("aria-selected", "true");
    await composer.press("Tab");
    await expect(composer).toHaveValue("@Sora Kim ");
    await expect(composer).toBeFocused();

    await composer.pressSequentially("and @jo");
    await suggestions(page).getByRole("option", { name: "Joon Lee" }).click();
    await expect(composer).toHaveValue("@Sora Kim and @Joon Lee ");

    await composer.pressSequentially("cc @");
    await expect(suggestions(page)).toBeVisible();
    await composer.press("Escape");
    await expect(suggestions(page)).toHaveCount(0);
    await composer.press("Enter");
    expect((await callsOf(page, "send_message")).at(-1)).toEqual({
      chatId: "chat-hiking",
      body: "@Sora Kim and @Joon Lee cc @",
    });
  });

  test("a mention of the user stands out; an address or another name is not a mention", async ({ app: page }) => {
    await openHiking(page);
    await page.evaluate(() => window.__fake.reply("chat-hiking", "@You can you bring the map? mail map@Sora Kim.org"));
    const message = messageWith(page, "bring the map");
    await expect(message.getByTestId("mention-me")).toHaveText("@You");
    await expect(message.getByTestId("mention")).toHaveCount(0);
    await shot(page, "mention-of-me");
  });

  test("a chat of two offers no completion", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const composer = page.getByTestId("composer");
    await composer.click();
    await composer.pressSequentially("@");
    await expect(suggestions(page)).toHaveCount(0);
  });
});

test.describe("in Korean", () => {
  test.use({ locale: "ko-KR" });

  test("the suggestions are named in Korean", async ({ app: page }) => {
    await openHiking(page);
    const composer = page.getByTestId("composer");
    await composer.click();
    await composer.pressSequentially("@M");
    await expect(page.getByRole("listbox", { name: "언급할 사람" }).getByRole("option")).toHaveText(["Mina Park"]);
  });
});
