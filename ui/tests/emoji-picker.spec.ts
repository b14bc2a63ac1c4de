// The emoji picker beside the composer: groups, search (in the UI's language and in English),
// a skin tone, the recently used first next time; arrows, Enter and Esc; the emoji goes in where
// the caret is.
import { expect, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const picker = (page: Page, name = "Emoji") => page.getByRole("dialog", { name });

test.describe("emoji picker", () => {
  test("search, pick: the emoji goes in at the caret and the composer has the focus again", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const composer = page.getByTestId("composer");
    await composer.fill("See you !");
    await composer.press("End");
    await composer.press("ArrowLeft");
    await page.getByTestId("emoji-button").click();
    await expect(picker(page)).toBeVisible();
    const search = picker(page).getByRole("searchbox", { name: "Search emoji" });
    await expect(search).toBeFocused();
    // The groups load on first use; the smileys show first (nothing used yet).
    await expect(picker(page).getByRole("tab", { name: "Smileys & Emotion" })).toHaveAttribute("aria-selected", "true");
    await expect(picker(page).getByRole("button", { name: "grinning face", exact: true })).toBeVisible();
    await search.fill("wave");
    await expect(picker(page).getByTestId("emoji-grid").getByRole("button").first()).toHaveAccessibleName("waving hand");
    await shot(page, "emoji-picker");
    await picker(page).getByRole("button", { name: "waving hand" }).click();
    await expect(picker(page)).toHaveCount(0);
    await expect(composer).toHaveValue("See you 👋!");
    await expect(composer).toBeFocused();
    await composer.press("End");
    await composer.type(" ok");
    await expect(composer).toHaveValue("See you 👋! ok");
  });

  test("from the keyboard, with a skin tone, and the recent ones first next time", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const composer = page.getByTestId("composer");
    await composer.click();
    await page.getByTestId("emoji-button").click();
    await picker(page).getByRole("combobox", { name: "Skin tone" }).selectOption("3");
    await picker(page).getByRole("searchbox").fill("thumbs up");
    // (The emoji load on first use: down goes to the results once they are there.)
    await expect(picker(page).getByRole("button", { name: "thumbs up" })).toBeVisible();
    await picker(page).getByRole("searchbox").press("ArrowDown");
    await expect(picker(page).getByRole("button", { name: "thumbs up" })).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(composer).toHaveValue("👍🏽");

    // Next time: the recent ones first, in the tone chosen; Esc closes and gives the focus back.
    await page.getByTestId("emoji-button").click();
    await expect(picker(page).getByRole("tab", { name: "Recently used" })).toHaveAttribute("aria-selected", "true");
    await expect(picker(page).getByTestId("emoji-grid").getByRole("button")).toHaveText(["👍🏽"]);
    await page.keyboard.press("Escape");
    await expect(picker(page)).toHaveCount(0);
    await expect(composer).toBeFocused();
    await expect(composer).toHaveValue("👍🏽");

    // Nothing matches: said so.
    await page.getByTestId("emoji-button").click();
    await picker(page).getByRole("searchbox").fill("zzzzqq");
    await expect(picker(page).getByText("No emoji found")).toBeVisible();
    // A click elsewhere closes it.
    await page.getByRole("heading", { level: 2 }).click();
    await expect(picker(page)).toHaveCount(0);
  });
});

test.describe("in Korean", () => {
  test.use({ locale: "ko-KR" });

  test("names and search are Korean, and English words still find emoji", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.getByTestId("composer").click();
    await page.getByTestId("emoji-button").click();
    const korean = picker(page, "이모지");
    const search = korean.getByRole("searchbox", { name: "이모지 검색" });
    await search.fill("웃는");
    await expect(korean.getByRole("button", { name: "활짝 웃는 얼굴", exact: true })).toBeVisible();
    await search.fill("pizza");
    const pizza = korean.getByRole("button", { name: "피자", exact: true });
    await expect(pizza).toHaveText("🍕");
    await shot(page, "emoji-picker-korean");
    await pizza.click();
    await expect(page.getByTestId("composer")).toHaveValue("🍕");
  });
});
