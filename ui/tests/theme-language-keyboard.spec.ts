// Themes, Korean, and the keyboard: the theme and language chosen in the
// settings are saved through update_settings and shown at once; "System"
// follows the system's colour scheme and language; the chat list is one tab
// stop that the arrow keys move through; Esc closes every dialog and gives the
// focus back to what opened it.
import type { SettingsEdit } from "../src/lib/bindings/SettingsEdit";
import { callsOf, chatItem, expect, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const html = (page: Page) => page.locator("html");
const background = (page: Page) =>
  html(page).evaluate((el) => getComputedStyle(el).backgroundColor);
const chatBackground = (page: Page) =>
  page.getByTestId("message-list").evaluate((el) => getComputedStyle(el.closest("section")!).backgroundColor);
const settingsDialog = (page: Page) => page.getByTestId("settings");
const lastSettingsEdit = async (page: Page) =>
  (await callsOf(page, "update_settings")).at(-1)?.settings as SettingsEdit | undefined;

test.describe("theme", () => {
  test("the choice is saved through update_settings and applied: light and dark look different", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    // Nothing chosen yet: "System", and the emulated system is light.
    await expect(html(page)).toHaveAttribute("data-theme", "light");
    const lightBackground = await background(page);
    const lightChat = await chatBackground(page);

    await page.getByRole("button", { name: "Settings" }).click();
    const dialog = settingsDialog(page);
    const theme = dialog.getByRole("group", { name: "Theme" });
    await expect(theme.getByRole("radio", { name: "System" })).toBeChecked();

    await theme.getByRole("radio", { name: "Dark" }).check();
    await expect(html(page)).toHaveAttribute("data-theme", "dark");
    await expect.poll(() => lastSettingsEdit(page)).toEqual({
      notifications: { enabled: true, do_not_disturb: false, show_previews: true },
      close_to_tray: true,
      start_at_login: false,
      lock_idle_minutes: 0,
      theme: "dark",
    });
    await expect.poll(() => page.evaluate(() => window.__fake.settings().theme)).toBe("dark");
    await expect(theme.getByRole("radio", { name: "Dark" })).toBeChecked();
    const darkBackground = await background(page);
    expect(darkBackground).not.toBe(lightBackground);
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).colorScheme)).toBe("dark");
    // Kept as a hint for the first paint of the next start.
    expect(await page.evaluate(() => localStorage.getItem("outlast.theme"))).toBe("dark");

    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    expect(await chatBackground(page)).not.toBe(lightChat);
    await shot(page, "theme-dark-chat");

    await page.getByRole("button", { name: "Settings" }).click();
    await settingsDialog(page).getByRole("group", { name: "Theme" }).getByRole("radio", { name: "Light" }).check();
    await expect(html(page)).toHaveAttribute("data-theme", "light");
    await expect.poll(() => lastSettingsEdit(page)).toMatchObject({ theme: "light" });
    expect(await background(page)).toBe(lightBackground);
    // Saving another setting leaves the theme alone (left out of the edit).
    await settingsDialog(page).getByLabel("Do not disturb").check();
    await expect.poll(async () => (await lastSettingsEdit(page))?.notifications.do_not_disturb).toBe(true);
    expect(await lastSettingsEdit(page)).not.toHaveProperty("theme");
    expect(await page.evaluate(() => window.__fake.settings().theme)).toBe("light");
  });

  test("a theme that could not be saved goes back to the stored one", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.getByRole("button", { name: "Settings" }).click();
    await page.evaluate(() =>
      window.__fake.failNext("update_settings", {
        code: "local_data_error",
        message: "the settings could not be saved: disk full",
        retryable: true,
      }),
    );
    // Clicked, not checked: it is unchecked again as soon as the save fails.
    await settingsDialog(page).getByRole("radio", { name: "Dark" }).click();
    await expect(settingsDialog(page).getByRole("alert")).toHaveText(
      "Couldn't save: the settings could not be saved: disk full",
    );
    await expect(html(page)).toHaveAttribute("data-theme", "light");
    await expect(settingsDialog(page).getByRole("radio", { name: "System" })).toBeChecked();
  });

  test("System follows the system's colour scheme, and its changes as they happen", async ({ app: page }) => {
    await page.emulateMedia({ colorScheme: "dark" });
    await expect(messages(page)).toHaveCount(4);
    await expect(html(page)).toHaveAttribute("data-theme", "dark");
    const dark = await background(page);
    await page.emulateMedia({ colorScheme: "light" });
    await expect(html(page)).toHaveAttribute("data-theme", "light");
    expect(await background(page)).not.toBe(dark);
    await page.emulateMedia({ colorScheme: "dark" });
    await expect(html(page)).toHaveAttribute("data-theme", "dark");

    // A fixed choice no longer follows the system.
    await page.getByRole("button", { name: "Settings" }).click();
    await settingsDialog(page).getByRole("radio", { name: "Light" }).check();
    await expect(html(page)).toHaveAttribute("data-theme", "light");
    await page.emulateMedia({ colorScheme: "light" });
    await page.emulateMedia({ colorScheme: "dark" });
    // Media changes are reported at the next frame: let two pass before looking.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    await expect(html(page)).toHaveAttribute("data-theme", "light");
  });

  test.describe("stored by the core", () => {
    test.use({ fakeOptions: { signedIn: true, appearance: { theme: "dark", language: "korean" } } });

    test("the stored theme and language win over the system's once the settings are read", async ({ app: page }) => {
      await expect(messages(page)).toHaveCount(4);
      await expect(html(page)).toHaveAttribute("data-theme", "dark");
      await expect(html(page)).toHaveAttribute("lang", "ko");
      await expect(page.getByRole("heading", { name: "채팅", level: 1 })).toBeVisible();
      // Hints for the next start's first paint.
      expect(await page.evaluate(() => [localStorage.getItem("outlast.theme"), localStorage.getItem("outlast.language")])).toEqual(
        ["dark", "korean"],
      );
    });
  });

  test("the last choice shows from the first paint, before the app has even started", async ({ page }) => {
    // Left by the last run; the system itself is light.
    await page.addInitScript(() => {
      localStorage.setItem("outlast.theme", "dark");
      localStorage.setItem("outlast.language", "korean");
    });
    // Without the app's module: what shows is the boot script's doing alone.
    await page.route("**/assets/*.js", (route) => route.abort());
    await page.goto("/", { waitUntil: "domcontentloaded" });
    await expect(html(page)).toHaveAttribute("data-theme", "dark");
    await expect(html(page)).toHaveAttribute("lang", "ko");
    expect(await background(page)).toBe("rgb(29, 33, 38)");
  });
});

test.describe("language", () => {
  test("switching to Korean changes the words at once, and back", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await expect(html(page)).toHaveAttribute("lang", "en");
    await expect(page.getByRole("heading", { name: "Chats", level: 1 })).toBeVisible();

    await page.getByRole("button", { name: "Settings" }).click();
    const language = settingsDialog(page).getByTestId("language-choice");
    await expect(language).toHaveValue("system");
    await expect(language.locator("option:checked")).toHaveText("System (English)");
    await language.selectOption("korean");

    // No reload: the open dialog says it in Korean straight away.
    await expect(settingsDialog(page).getByRole("heading", { name: "설정" })).toBeVisible();
    await expect(settingsDialog(page).getByText("알림 표시", { exact: true })).toBeVisible();
    await expect(html(page)).toHaveAttribute("lang", "ko");
    await expect.poll(() => lastSettingsEdit(page)).toMatchObject({ language: "korean" });
    expect(await lastSettingsEdit(page)).not.toHaveProperty("theme");
    await expect.poll(() => page.evaluate(() => window.__fake.settings().language)).toBe("korean");
    await shot(page, "korean-settings-panel");

    await page.keyboard.press("Escape");
    await expect(settingsDialog(page)).toBeHidden();
    await expect(page.getByRole("heading", { name: "채팅", level: 1 })).toBeVisible();
    await expect(page.getByTestId("composer")).toHaveAttribute("placeholder", "메시지를 입력하세요");
    await expect(page.getByTestId("send-button")).toHaveText("보내기");
    await expect(page.getByTestId("send-button")).toHaveAccessibleName("메시지 보내기");
    await expect(page.getByRole("button", { name: "메시지 검색" })).toBeVisible();
    // Dates too: the day separators and the times.
    await expect(page.getByText("어제", { exact: true })).toBeVisible();
    await expect(page.getByText("오늘", { exact: true })).toBeVisible();
    await expect(chatItem(page, "chat-joon").locator("time")).toHaveText(/\d+월 \d+일/);
    // Other people's words stay as they are.
    await expect(messages(page).first()).toContainText("Are we still on for Saturday?");

    // The offline banner too; the core's reason is not translated.
    await page.evaluate(() => window.__fake.setWaiting(30_000, "gateway refused the connection"));
    const banner = page.getByTestId("connection-banner");
    await expect(banner).toContainText("연결이 끊겼습니다 — 연결되면 메시지를 보냅니다");
    await expect(banner.getByRole("button", { name: "지금 다시 연결" })).toBeVisible();
    await expect(page.getByTestId("connection-status")).toContainText("다시 연결 중…");
    await shot(page, "korean-chat-offline");

    await page.getByRole("button", { name: "설정", exact: true }).click();
    await settingsDialog(page).getByTestId("language-choice").selectOption("english");
    await expect(settingsDialog(page).getByRole("heading", { name: "Settings" })).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("heading", { name: "Chats", level: 1 })).toBeVisible();
    await expect(page.getByTestId("composer")).toHaveAttribute("placeholder", "Write a message");
    await expect(page.getByTestId("send-button")).toHaveText("Send");
    await expect(banner).toContainText("Offline — messages will be sent when the connection returns");
    await expect(html(page)).toHaveAttribute("lang", "en");
  });

  test.describe("on a Korean system", () => {
    test.use({ locale: "ko-KR" });

    test("System speaks Korean from the start", async ({ app: page }) => {
      await expect(messages(page)).toHaveCount(4);
      await expect(html(page)).toHaveAttribute("lang", "ko");
      await expect(page.getByRole("heading", { name: "채팅", level: 1 })).toBeVisible();
      await expect(page.getByTestId("composer")).toHaveAttribute("placeholder", "메시지를 입력하세요");
      await expect(page.getByTestId("send-button")).toHaveText("보내기");
      await expect(chatItem(page, "chat-hiking")).toHaveAccessibleName(/읽지 않은 메시지 2개/);
      await expect(page.getByTestId("connection-status")).toContainText("연결됨");
      await shot(page, "korean-chat-view");

      await page.getByRole("button", { name: "설정", exact: true }).click();
      const dialog = settingsDialog(page);
      await expect(dialog.getByRole("heading", { name: "설정" })).toBeVisible();
      await expect(dialog.getByTestId("language-choice").locator("option:checked")).toHaveText("시스템 설정 (한국어)");
      await expect(dialog.getByRole("group", { name: "테마" }).getByRole("radio", { name: "시스템 설정" })).toBeChecked();
      await expect(dialog.getByTestId("account")).toHaveText("You 계정으로 http://127.0.0.1:7710에 로그인되어 있습니다");
      await shot(page, "korean-settings-panel-system");

      // English chosen on a Korean system.
      await dialog.getByTestId("language-choice").selectOption("english");
      await expect(dialog.getByRole("heading", { name: "Settings" })).toBeVisible();
      await expect(html(page)).toHaveAttribute("lang", "en");
    });
  });
});

test.describe("keyboard", () => {
  test("the chat list is one tab stop; the arrows, Home and End open chats", async ({ app: page }) => {
    const items = page.getByTestId("chat-item");
    await expect(messages(page)).toHaveCount(4);
    await expect(page.getByTestId("composer")).toBeFocused();
    await expect(page.locator("[data-testid='chat-item'][tabindex='0']")).toHaveCount(1);

    // Tab from the header's last button lands on the open chat, and the next Tab leaves the list.
    await page.getByRole("button", { name: "Settings" }).focus();
    await page.keyboard.press("Tab");
    await expect(chatItem(page, "chat-mina")).toBeFocused();
    await page.keyboard.press("Tab");
    await expect(items.and(page.locator(":focus"))).toHaveCount(0);
    await page.keyboard.press("Shift+Tab");
    await expect(chatItem(page, "chat-mina")).toBeFocused();

    // Down opens the next chat; the focus stays in the list, not the composer.
    await page.keyboard.press("ArrowDown");
    await expect(chatItem(page, "chat-hiking")).toBeFocused();
    await expect(chatItem(page, "chat-hiking")).toHaveAttribute("aria-current", "true");
    await expect(messages(page)).toHaveCount(12);
    await expect(page.getByRole("heading", { name: "Weekend hiking" })).toBeVisible();
    await expect(chatItem(page, "chat-hiking")).toHaveAttribute("tabindex", "0");
    await expect(chatItem(page, "chat-mina")).toHaveAttribute("tabindex", "-1");

    await page.keyboard.press("ArrowDown");
    await expect(chatItem(page, "chat-joon")).toBeFocused();
    await expect(chatItem(page, "chat-joon")).toHaveAttribute("aria-current", "true");
    await expect(messages(page)).toHaveCount(2);
    // The last chat: Down goes no further.
    await page.keyboard.press("ArrowDown");
    await expect(chatItem(page, "chat-joon")).toBeFocused();

    await page.keyboard.press("Home");
    await expect(chatItem(page, "chat-mina")).toBeFocused();
    await expect(chatItem(page, "chat-mina")).toHaveAttribute("aria-current", "true");
    await page.keyboard.press("End");
    await expect(chatItem(page, "chat-joon")).toBeFocused();
    await page.keyboard.press("ArrowUp");
    await expect(chatItem(page, "chat-hiking")).toBeFocused();
    await expect(chatItem(page, "chat-hiking")).toHaveAttribute("aria-current", "true");
    await expect(messages(page)).toHaveCount(12);
    const opens = await callsOf(page, "open_chat");
    expect(opens.map((a) => a.chatId)).toEqual([
      "chat-mina",
      "chat-hiking",
      "chat-joon",
      "chat-mina",
      "chat-joon",
      "chat-hiking",
    ]);

    // Enter on the open chat goes to its composer, ready to write.
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("composer")).toBeFocused();
    await expect(page.getByTestId("composer")).toHaveAccessibleName("Message to Weekend hiking");

    // Back in the list (Shift+Tab from the header's first button: a group's rename pencil), it goes on from the open chat.
    await page.getByTestId("rename-chat").focus();
    await page.keyboard.press("Shift+Tab");
    await expect(chatItem(page, "chat-hiking")).toBeFocused();
  });

  test("Esc closes the settings and the search, and the focus goes back to what opened them", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);

    // Settings, opened from the keyboard.
    const settingsButton = page.getByTestId("settings-button");
    await settingsButton.focus();
    await page.keyboard.press("Enter");
    await expect(settingsDialog(page)).toBeVisible();
    await expect(settingsButton).not.toBeFocused();
    await page.keyboard.press("Escape");
    await expect(settingsDialog(page)).toBeHidden();
    await expect(settingsButton).toBeFocused();

    // Esc while a control inside has the focus.
    await settingsButton.click();
    await settingsDialog(page).getByRole("radio", { name: "Dark" }).focus();
    await page.keyboard.press("Escape");
    await expect(settingsDialog(page)).toBeHidden();
    await expect(settingsButton).toBeFocused();

    // Search, from its button.
    const searchButton = page.getByRole("button", { name: "Search messages" });
    await searchButton.click();
    await expect(page.getByTestId("search")).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(page.getByTestId("search")).toBeHidden();
    await expect(searchButton).toBeFocused();

    // Search, with Ctrl+K from the chat list.
    await chatItem(page, "chat-mina").focus();
    await page.keyboard.press("Control+K");
    await expect(page.getByTestId("search-input")).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(page.getByTestId("search")).toBeHidden();
    await expect(chatItem(page, "chat-mina")).toBeFocused();
  });

  test.describe("with the mock backend", () => {
    test.use({ fakeOptions: { signedIn: true, mockMode: true } });

    test("Esc closes the tester panel and the focus goes back to its button", async ({ app: page }) => {
      await expect(messages(page)).toHaveCount(4);
      const testerButton = page.getByRole("button", { name: "Tester", exact: true });
      await testerButton.focus();
      await page.keyboard.press("Enter");
      const panel = page.getByTestId("tester-panel");
      await expect(panel).toBeVisible();
      await panel.getByTestId("fault-target").focus();
      await page.keyboard.press("Escape");
      await expect(panel).toBeHidden();
      await expect(testerButton).toBeFocused();
    });
  });
});
