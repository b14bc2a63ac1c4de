// Desktop features: settings, the passcode lock, notifications' open-chat,
// muting, the sign-in hint, the kept (or not kept) sign-in and signing out.
import type { IpcError } from "../src/lib/bindings/IpcError";
import type { SettingsEdit } from "../src/lib/bindings/SettingsEdit";
import { callsOf, chatItem, expect, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const settingsDialog = (page: Page) => page.getByRole("dialog", { name: "Settings" });
const lockScreen = (page: Page) => page.getByRole("dialog", { name: "Outlast is locked" });


async function openSettings(page: Page) {
  await page.getByRole("button", { name: "Settings" }).click();
  await expect(settingsDialog(page)).toBeVisible();
  await expect(settingsDialog(page).getByRole("heading", { name: "Settings" })).toBeVisible();
}

/** Sets a passcode through the settings panel (which stays open). */
async function setPasscode(page: Page, passcode: string) {
  const dialog = settingsDialog(page);
  await dialog.getByLabel("Passcode", { exact: true }).fill(passcode);
  await dialog.getByLabel("Confirm passcode").fill(passcode);
  await dialog.getByRole("button", { name: "Set passcode" }).click();
  await expect(dialog.getByText("Passcode set.")).toBeVisible();
}

/** Everything the demo chats show: titles and every message body. */
const CONTENT = [
  "Mina Park",
  "Weekend hiking",
  "Joon Lee",
  "Sora Kim",
  "Are we still on for Saturday?",
  "7:30 at the north gate",
  "I'll bring coffee",
  "The upper path is muddy",
  "ridge trail",
  "spare pair of poles",
  "Thanks for the book!",
];

/** Which of the given strings occur anywhere in the document (text, attributes, hidden or not). */
const contentInDom = (page: Page, strings: string[]) =>
  page.evaluate((strings) => strings.filter((s) => document.documentElement.outerHTML.includes(s)), strings);

test.describe("settings", () => {
  test("the panel loads the settings and saves each toggle at once", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await openSettings(page);
    const dialog = settingsDialog(page);
    expect(await callsOf(page, "get_settings")).not.toHaveLength(0);

    const notify = dialog.getByRole("checkbox", { name: "Show notifications" });
    const dnd = dialog.getByRole("checkbox", { name: "Do not disturb" });
    const previews = dialog.getByRole("checkbox", { name: "Show message previews" });
    const tray = dialog.getByRole("checkbox", { name: "Keep running in the tray when the window is closed" });
    const autostart = dialog.getByRole("checkbox", { name: "Start Outlast when I sign in to my computer" });
    const idle = dialog.getByRole("combobox", { name: "Lock after idle" });
    await expect(notify).toBeChecked();
    await expect(dnd).not.toBeChecked();
    await expect(previews).toBeChecked();
    await expect(tray).toBeChecked();
    await expect(autostart).not.toBeChecked();
    // No passcode yet: nothing to lock with.
    await expect(idle).toBeDisabled();
    await expect(idle).toHaveValue("0");
    await expect(dialog.getByRole("button", { name: "Lock now" })).toBeDisabled();
    await expect(dialog.getByTestId("account")).toHaveText("Signed in as You on http://127.0.0.1:7710");
    await expect(dialog.getByTestId("remembered")).toContainText("Your sign-in is kept on this computer");
    await shot(page, "settings-panel");

    const expected: SettingsEdit = {
      notifications: { enabled: true, do_not_disturb: false, show_previews: true },
      close_to_tray: true,
      start_at_login: false,
      lock_idle_minutes: 0,
    };
    const steps: [ReturnType<typeof dialog.getByRole>, (e: SettingsEdit) => void][] = [
      [dnd, (e) => (e.notifications.do_not_disturb = true)],
      [previews, (e) => (e.notifications.show_previews = false)],
      [notify, (e) => (e.notifications.enabled = false)],
      [tray, (e) => (e.close_to_tray = false)],
      [autostart, (e) => (e.start_at_login = true)],
    ];
    for (const [index, [toggle, change]] of steps.entries()) {
      await toggle.click();
      change(expected);
      await expect.poll(() => callsOf(page, "update_settings")).toHaveLength(index + 1);
      expect((await callsOf(page, "update_settings")).at(-1)).toEqual({ settings: expected });
      // The call is recorded when it is made; the fake stores it a moment later.
      const stored = { ...expected, has_passcode: false, theme: "system", language: "system", text_zoom: 100 };
      await expect.poll(() => page.evaluate(() => window.__fake.settings())).toEqual(stored);
    }
    await expect(dnd).toBeChecked();
    await expect(previews).not.toBeChecked();
    await expect(notify).not.toBeChecked();
    await expect(tray).not.toBeChecked();
    await expect(autostart).toBeChecked();

    // A failed save is shown next to it, and the switch shows what is stored.
    await page.evaluate(() =>
      window.__fake.failNext("update_settings", {
        code: "local_data_error",
        message: "the settings could not be saved: disk full",
        retryable: true,
      }),
    );
    await tray.click();
    await expect(dialog.getByRole("alert")).toHaveText("Couldn't save: the settings could not be saved: disk full");
    await expect(tray).not.toBeChecked();
    expect((await page.evaluate(() => window.__fake.settings())).close_to_tray).toBe(false);
    await shot(page, "settings-save-error");

    // Reopened, it shows what was saved.
    await page.keyboard.press("Escape");
    await expect(settingsDialog(page)).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Settings" })).toBeFocused();
    await openSettings(page);
    await expect(settingsDialog(page).getByRole("checkbox", { name: "Start Outlast when I sign in to my computer" })).toBeChecked();
    await expect(settingsDialog(page).getByRole("checkbox", { name: "Show notifications" })).not.toBeChecked();
    await settingsDialog(page).getByRole("button", { name: "Close settings" }).click();
    await expect(settingsDialog(page)).toHaveCount(0);
  });

  test("passcode: set, lock after idle, change, wrong current, remove", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await openSettings(page);
    const dialog = settingsDialog(page);

    // Checked before asking the core.
    await dialog.getByLabel("Passcode", { exact: true }).fill("12");
    await dialog.getByLabel("Confirm passcode").fill("12");
    await dialog.getByRole("button", { name: "Set passcode" }).click();
    await expect(dialog.getByTestId("passcode-error")).toHaveText("A passcode is 4 to 64 characters.");
    await dialog.getByLabel("Passcode", { exact: true }).fill("1357");
    await dialog.getByLabel("Confirm passcode").fill("1358");
    await dialog.getByRole("button", { name: "Set passcode" }).click();
    await expect(dialog.getByTestId("passcode-error")).toHaveText("The passcodes don't match.");
    expect(await callsOf(page, "set_passcode")).toHaveLength(0);
    for (const input of await dialog.locator("input[data-testid$='passcode']").all()) {
      await expect(input).toHaveAttribute("type", "password");
    }

    await setPasscode(page, "1357");
    expect(await callsOf(page, "set_passcode")).toEqual([{ current: null, passcode: "1357" }]);
    const idle = dialog.getByRole("combobox", { name: "Lock after idle" });
    await expect(idle).toBeEnabled();
    await expect(dialog.getByRole("button", { name: "Lock now" })).toBeEnabled();
    await expect(idle.locator("option")).toHaveText(["Never", "1 minute", "5 minutes", "15 minutes", "30 minutes", "60 minutes"]);
    await idle.selectOption({ label: "5 minutes" });
    await expect.poll(async () => (await callsOf(page, "update_settings")).at(-1)).toEqual({
      settings: {
        notifications: { enabled: true, do_not_disturb: false, show_previews: true },
        close_to_tray: true,
        start_at_login: false,
        lock_idle_minutes: 5,
      },
    });

    await dialog.getByRole("button", { name: "Sign out" }).scrollIntoViewIfNeeded();
    await shot(page, "settings-panel-lock-and-account");

    // Changing needs the current one.
    await dialog.getByLabel("Current passcode").fill("0000");
    await dialog.getByLabel("New passcode", { exact: true }).fill("2468");
    await dialog.getByLabel("Confirm new passcode").fill("2468");
    await dialog.getByRole("button", { name: "Change passcode" }).click();
    await expect(dialog.getByTestId("passcode-error")).toHaveText("The current passcode is wrong.");
    await dialog.getByLabel("Current passcode").fill("1357");
    await dialog.getByLabel("New passcode", { exact: true }).fill("2468");
    await dialog.getByLabel("Confirm new passcode").fill("2468");
    await dialog.getByRole("button", { name: "Change passcode" }).click();
    await expect(dialog.getByText("Passcode changed.")).toBeVisible();
    expect(await page.evaluate(() => window.__fake.passcode())).toBe("2468");
    expect((await callsOf(page, "set_passcode")).at(-1)).toEqual({ current: "1357", passcode: "2468" });

    await dialog.getByLabel("Current passcode").fill("2468");
    await dialog.getByRole("button", { name: "Remove passcode" }).click();
    await expect(dialog.getByText("Passcode removed.")).toBeVisible();
    expect(await callsOf(page, "remove_passcode")).toEqual([{ current: "2468" }]);
    await expect(idle).toBeDisabled();
    await expect(dialog.getByRole("button", { name: "Set passcode" })).toBeVisible();
  });
});

test.describe("lock", () => {
  test("lock now hides all content; a wrong passcode is refused, the right one restores the chats", async ({
    app: page,
  }) => {
    await chatItem(page, "chat-hiking").click();
    await expect(messages(page)).toHaveCount(12);
    await expect.poll(async () => (await callsOf(page, "set_viewing")).at(-1)).toEqual({ chatId: "chat-hiking" });
    await openSettings(page);
    await setPasscode(page, "1357");
    await settingsDialog(page).getByRole("button", { name: "Lock now" }).click();

    await expect(lockScreen(page)).toBeVisible();
    await expect(lockScreen(page).getByRole("heading", { name: "Outlast is locked" })).toBeVisible();
    await expect(page.getByLabel("Passcode")).toBeFocused();
    // Unmounted, not hidden: no chat, title or message anywhere in the document.
    await expect(page.getByTestId("chat-list")).toHaveCount(0);
    await expect(messages(page)).toHaveCount(0);
    await expect(settingsDialog(page)).toHaveCount(0);
    expect(await contentInDom(page, CONTENT)).toEqual([]);
    expect((await callsOf(page, "set_viewing")).at(-1)).toEqual({ chatId: null });
    await shot(page, "lock-screen");

    // Nothing new reaches the page while locked.
    await page.evaluate(() => window.__fake.reply("chat-mina", "A secret arrives while locked"));
    await page.evaluate(() => window.__fake.reply("chat-hiking", "Poles sorted, see you Saturday"));
    expect(await contentInDom(page, ["A secret arrives while locked", "Poles sorted"])).toEqual([]);

    await page.getByLabel("Passcode").fill("0000");
    await page.getByRole("button", { name: "Unlock" }).click();
    await expect(page.getByRole("alert")).toHaveText("Wrong passcode. Try again.");
    await expect(page.getByLabel("Passcode")).toHaveValue("");
    await expect(page.getByLabel("Passcode")).toBeFocused();
    expect(await contentInDom(page, CONTENT)).toEqual([]);
    await shot(page, "lock-screen-wrong-passcode");

    const listsBefore = (await callsOf(page, "list_chats")).length;
    await page.getByLabel("Passcode").fill("1357");
    await page.getByLabel("Passcode").press("Enter");
    await expect(lockScreen(page)).toHaveCount(0);
    // The list is read again (with what arrived meanwhile) and the open chat is open again.
    await expect(page.getByTestId("chat-item")).toHaveCount(3);
    expect((await callsOf(page, "list_chats")).length).toBeGreaterThan(listsBefore);
    await expect(chatItem(page, "chat-hiking")).toHaveAttribute("aria-current", "true");
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Weekend hiking");
    await expect(messages(page)).toHaveCount(13);
    await expect(messages(page).last()).toContainText("Poles sorted, see you Saturday");
    await expect(chatItem(page, "chat-mina")).toContainText("A secret arrives while locked");
    await expect(chatItem(page, "chat-mina").getByTestId("unread-badge")).toHaveText("1");
    await expect.poll(async () => (await callsOf(page, "set_viewing")).at(-1)).toEqual({ chatId: "chat-hiking" });

    // Live again: new messages show up.
    await page.evaluate(() => window.__fake.reply("chat-hiking", "Back online"));
    await expect(messages(page).last()).toContainText("Back online");
  });

  test.describe("with a passcode set", () => {
    test.use({ fakeOptions: { signedIn: true, passcode: "2468" } });

    test("starts locked without reading any chat; too many wrong passcodes are throttled", async ({ app: page }) => {
      await expect(lockScreen(page)).toBeVisible();
      expect(await callsOf(page, "is_locked")).toHaveLength(1);
      expect(await callsOf(page, "list_chats")).toHaveLength(0);
      expect(await callsOf(page, "open_chat")).toHaveLength(0);
      expect(await contentInDom(page, CONTENT)).toEqual([]);

      for (let i = 0; i < 5; i++) {
        await page.getByLabel("Passcode").fill(`000${i}`);
        await page.getByRole("button", { name: "Unlock" }).click();
        await expect(page.getByRole("alert")).toHaveText("Wrong passcode. Try again.");
        await expect(page.getByLabel("Passcode")).toHaveValue("");
      }
      await page.getByLabel("Passcode").fill("2468");
      await page.getByRole("button", { name: "Unlock" }).click();
      await expect(page.getByRole("alert")).toHaveText(/^Too many wrong passcodes; try again in \d+ s$/);
      await expect(lockScreen(page)).toBeVisible();
      await shot(page, "lock-screen-too-many-attempts");
    });

    test("the shell's lock-changed locks and unlocks; Ctrl+L locks; unlocking re-opens the chat", async ({
      app: page,
    }) => {
      await page.getByLabel("Passcode").fill("2468");
      await page.getByRole("button", { name: "Unlock" }).click();
      await expect(page.getByTestId("chat-item")).toHaveCount(3);
      await expect(messages(page)).toHaveCount(4);
      await chatItem(page, "chat-joon").click();
      await expect(page.getByRole("heading", { level: 2 })).toHaveText("Joon Lee");

      // The shell locks (idle time).
      await page.evaluate(() => window.__fake.lock());
      await expect(lockScreen(page)).toBeVisible();
      expect(await contentInDom(page, CONTENT)).toEqual([]);
      await expect.poll(async () => (await callsOf(page, "set_viewing")).at(-1)).toEqual({ chatId: null });

      // And unlocks without this window: the chats come back.
      await page.evaluate(() => window.__fake.unlockElsewhere());
      await expect(lockScreen(page)).toHaveCount(0);
      await expect(page.getByRole("heading", { level: 2 })).toHaveText("Joon Lee");
      await expect(messages(page)).toHaveCount(2);

      // Ctrl+L locks now.
      await page.getByTestId("composer").click();
      await page.keyboard.press("Control+l");
      await expect(lockScreen(page)).toBeVisible();
      expect(await callsOf(page, "lock_now")).toHaveLength(1);
      expect(await page.evaluate(() => window.__fake.locked())).toBe(true);
      await page.getByLabel("Passcode").fill("2468");
      await page.getByLabel("Passcode").press("Enter");
      await expect(page.getByRole("heading", { level: 2 })).toHaveText("Joon Lee");
    });

    test("a notification clicked while locked opens its chat after unlocking", async ({ app: page }) => {
      await expect(lockScreen(page)).toBeVisible();
      await page.evaluate(() => window.__fake.openChat("chat-hiking"));
      await expect(lockScreen(page)).toBeVisible();
      expect(await callsOf(page, "open_chat")).toHaveLength(0);
      await page.getByLabel("Passcode").fill("2468");
      await page.getByRole("button", { name: "Unlock" }).click();
      await expect(page.getByRole("heading", { level: 2 })).toHaveText("Weekend hiking");
      await expect(chatItem(page, "chat-hiking")).toHaveAttribute("aria-current", "true");
      await expect(messages(page)).toHaveCount(12);
    });
  });

  test("Ctrl+L does nothing without a passcode", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.keyboard.press("Control+l");
    await page.waitForTimeout(100);
    await expect(lockScreen(page)).toHaveCount(0);
    expect(await callsOf(page, "lock_now")).toHaveLength(0);
  });
});

test("an open-chat event (a clicked notification) opens that chat", async ({ app: page }) => {
  await expect(messages(page)).toHaveCount(4);
  await page.evaluate(() => window.__fake.openChat("chat-joon"));
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("Joon Lee");
  await expect(chatItem(page, "chat-joon")).toHaveAttribute("aria-current", "true");
  await expect(messages(page)).toHaveCount(2);
  await expect.poll(async () => (await callsOf(page, "set_viewing")).at(-1)).toEqual({ chatId: "chat-joon" });

  // A chat the list does not know yet (its chat_updated has not arrived): the list is read again first.
  await page.evaluate(() =>
    window.__fake.addChat({ chat_id: "chat-new", title: "New friends", member_names: ["Sora Kim", "You"] }, false),
  );
  await expect(chatItem(page, "chat-new")).toHaveCount(0);
  await page.evaluate(() => window.__fake.openChat("chat-new"));
  await expect(page.getByRole("heading", { level: 2 })).toHaveText("New friends");
  await expect(chatItem(page, "chat-new")).toHaveAttribute("aria-current", "true");
});

test("muting: the header toggle, the list's indicator and a grey unread badge", async ({ app: page }) => {
  await expect(messages(page)).toHaveCount(4);
  const mina = chatItem(page, "chat-mina");
  await expect(mina.getByTestId("muted-indicator")).toHaveCount(0);

  await page.getByRole("button", { name: "Mute chat" }).click();
  await expect(page.getByRole("button", { name: "Unmute chat" })).toBeVisible();
  expect(await callsOf(page, "set_muted")).toEqual([{ chatId: "chat-mina", muted: true }]);
  await expect(mina.getByTestId("muted-indicator")).toBeVisible();
  await expect(mina).toHaveAttribute("data-muted", "true");
  await expect(mina).toHaveAttribute("aria-label", /^Mina Park, muted, /);

  // Muted chats still count unread messages, in grey.
  await chatItem(page, "chat-joon").click();
  await page.evaluate(() => window.__fake.reply("chat-mina", "Psst"));
  const badge = mina.getByTestId("unread-badge");
  await expect(badge).toHaveText("1");
  const loud = chatItem(page, "chat-hiking").getByTestId("unread-badge");
  await page.evaluate(() => window.__fake.reply("chat-hiking", "Anyone?"));
  await expect(loud).toHaveText("3");
  const colour = (l: typeof badge) => l.evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(await colour(badge)).toBe("rgb(163, 171, 181)");
  expect(await colour(loud)).toBe("rgb(239, 91, 79)");
  await shot(page, "muted-chat");

  await mina.click();
  await page.getByRole("button", { name: "Unmute chat" }).click();
  await expect(page.getByRole("button", { name: "Mute chat" })).toBeVisible();
  await expect(mina.getByTestId("muted-indicator")).toHaveCount(0);
  expect((await callsOf(page, "set_muted")).at(-1)).toEqual({ chatId: "chat-mina", muted: false });
});

test.describe("without a session, with a sign-in hint", () => {
  test.use({
    fakeOptions: {
      signedIn: false,
      hint: {
        server: "https://chat.example.test",
        username: "me",
        notice: "please sign in again: the server ended the kept sign-in",
      },
    },
  });

  test("the hint prefills the form and its notice is shown above it", async ({ app: page }) => {
    await expect(page.getByTestId("sign-in")).toBeVisible();
    await expect(page.getByLabel("Server address")).toHaveValue("https://chat.example.test");
    await expect(page.getByLabel("Username")).toHaveValue("me");
    await expect(page.getByLabel("Password")).toBeFocused();
    await expect(page.getByTestId("sign-in-notice")).toHaveText(
      "Please sign in again: the server ended the kept sign-in",
    );
    await shot(page, "sign-in-hint");

    await page.getByLabel("Password").fill("secret");
    await page.getByLabel("Password").press("Enter");
    await expect(page.getByTestId("chat-item")).toHaveCount(3);
    expect((await callsOf(page, "login")).at(-1)).toEqual({
      server: "https://chat.example.test",
      username: "me",
      password: "secret",
    });
  });
});

test.describe("a sign-in that is not kept", () => {
  const REASON = "no keyring is available to keep your sign-in (org.freedesktop.secrets was not found)";
  test.use({ fakeOptions: { signedIn: true, notRememberedBecause: REASON } });

  test("a calm, dismissable notice says why; the account section says so too", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const notice = page.getByTestId("remember-notice");
    await expect(notice).toBeVisible();
    await expect(notice).toContainText(`Your sign-in won't be kept: ${REASON}`);
    await shot(page, "not-remembered-notice");

    await openSettings(page);
    await expect(settingsDialog(page).getByTestId("remembered")).toHaveText(`Your sign-in won't be kept: ${REASON}`);
    await page.keyboard.press("Escape");

    await notice.getByRole("button", { name: "Dismiss" }).click();
    await expect(notice).toHaveCount(0);
    await expect(page.getByTestId("chat-item")).toHaveCount(3);
  });
});

test.describe("started from the cache", () => {
  test.use({ fakeOptions: { signedIn: true, fromCache: true } });

  test("the chat list renders from list_chats", async ({ app: page }) => {
    await expect(page.getByTestId("chat-item")).toHaveCount(3);
    await expect(messages(page)).toHaveCount(4);
    await expect(page.getByTestId("remember-notice")).toHaveCount(0);
  });
});

test.describe("signing out", () => {
  test("returns to the sign-in screen with the server filled in", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await openSettings(page);
    await settingsDialog(page).getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByTestId("sign-in")).toBeVisible();
    await expect(page.getByTestId("chat-list")).toHaveCount(0);
    await expect(settingsDialog(page)).toHaveCount(0);
    expect(await callsOf(page, "sign_out")).toHaveLength(1);
    await expect.poll(async () => (await callsOf(page, "set_viewing")).at(-1)).toEqual({ chatId: null });
    await expect(page.getByLabel("Server address")).toHaveValue("http://127.0.0.1:7710");
    expect(await contentInDom(page, CONTENT)).toEqual([]);
  });

  test.describe("when the keyring cannot forget the sign-in", () => {
    const error: IpcError = {
      code: "keyring_error",
      message: "signed out, but the keyring could not forget the sign-in: the keyring is locked",
      retryable: false,
    };
    test.use({ fakeOptions: { signedIn: true, signOutError: error } });

    test("still signs out, and says what went wrong", async ({ app: page }) => {
      await expect(messages(page)).toHaveCount(4);
      await openSettings(page);
      await settingsDialog(page).getByRole("button", { name: "Sign out" }).click();
      await expect(page.getByTestId("sign-in")).toBeVisible();
      await expect(page.getByTestId("sign-in-notice")).toHaveText(
        "Signed out, but the keyring could not forget the sign-in: the keyring is locked",
      );
    });
  });

  test("any other failure keeps the session and is shown in the panel", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.evaluate(() =>
      window.__fake.failNext("sign_out", { code: "network", message: "the server did not answer", retryable: true }),
    );
    await openSettings(page);
    await settingsDialog(page).getByRole("button", { name: "Sign out" }).click();
    await expect(settingsDialog(page).getByRole("alert")).toHaveText("Couldn't sign out: the server did not answer");
    await expect(page.getByTestId("chat-item")).toHaveCount(3);
  });
});

test.describe("activity", () => {
  test.use({ fakeClock: true });

  test("is reported to the idle lock at most once every 15 s", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const now = await page.evaluate(() => Date.now());
    await page.clock.pauseAt(now + 1000);
    const reports = async () => (await callsOf(page, "note_activity")).length;
    const before = await reports();
    await page.getByTestId("composer").click();
    await page.keyboard.type("hello");
    await page.mouse.wheel(0, 100);
    await expect.poll(reports).toBe(before + 1);
    await page.clock.runFor(10_000);
    await page.keyboard.type("!");
    await page.clock.runFor(100);
    expect(await reports()).toBe(before + 1);
    await page.clock.runFor(5_000);
    await page.keyboard.type("?");
    await expect.poll(reports).toBe(before + 2);
  });
});
