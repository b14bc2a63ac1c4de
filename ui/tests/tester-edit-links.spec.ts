// Editing a refused message, links in messages, drafts, and the tester panel
// (mock mode) with its connection timeline.
import { callsOf, chatItem, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const composer = (page: Page) => page.getByTestId("composer");
const log = (page: Page) => page.getByTestId("message-list");

/** Waits for the app to load with time flowing, then stops the page's clock. */
async function loadedAndPaused(page: Page) {
  await expect(messages(page)).toHaveCount(4);
  const now = await page.evaluate(() => Date.now());
  await page.clock.pauseAt(now + 1000);
}

test.describe("editing a failed message", () => {
  const REFUSED = "the server refused it: the text contains a blocked word";

  async function failedMessage(page: Page, body: string) {
    await expect(messages(page)).toHaveCount(4);
    const failed = await page.evaluate(([body, why]) => window.__fake.addUnsent("chat-mina", body, why), [body, REFUSED]);
    // (By id: while edited, the text is in a field, not in the message's text.)
    const message = page.locator(`[data-testid="message"][data-client-msg-id="${failed.client_msg_id}"]`);
    await expect(message).toHaveAttribute("data-state", "failed");
    return { failed, message };
  }

  test("Edit turns the text into a field: Esc cancels; Enter sends the new text in its place", async ({ app: page }) => {
    const { failed, message } = await failedMessage(page, "Meet at the nrth gate");
    const edit = message.getByRole("button", { name: "Edit and send again" });
    await expect(message.getByTestId("message-failure")).toHaveText(`Failed: ${REFUSED}`);
    await expect(edit).toHaveText("Edit");

    // Esc gives up: the text is as it was and the focus is back on Edit.
    await edit.click();
    const field = message.getByRole("textbox", { name: "Edit message" });
    await expect(field).toBeFocused();
    await expect(field).toHaveValue("Meet at the nrth gate");
    await expect(message.getByTestId("message-body")).toHaveCount(0);
    await field.fill("Something else");
    await field.press("Escape");
    await expect(field).toHaveCount(0);
    await expect(message.getByTestId("message-body")).toHaveText("Meet at the nrth gate");
    await expect(edit).toBeFocused();
    expect(await callsOf(page, "edit_message")).toEqual([]);

    // Shift+Enter is a new line; Enter sends.
    await page.keyboard.press("Enter");
    await expect(field).toHaveValue("Meet at the nrth gate");
    await field.fill("Meet at the north gate");
    await field.press("Shift+Enter");
    await field.pressSequentially("Bring water");
    await expect(field).toHaveValue("Meet at the north gate\nBring water");
    await shot(page, "message-editing");
    await field.press("Enter");
    await expect.poll(() => callsOf(page, "edit_message")).toEqual([
      { clientMsgId: failed.client_msg_id, body: "Meet at the north gate\nBring water" },
    ]);

    // The core sends it again in its place: pending, same client id, the new text.
    const edited = page.locator(`[data-testid="message"][data-client-msg-id="${failed.client_msg_id}"]`);
    await expect(edited).toHaveAttribute("data-state", "pending");
    await expect(edited.getByTestId("message-body")).toHaveText("Meet at the north gate\nBring water");
    await expect(edited.getByTestId("message-editor")).toHaveCount(0);
    await expect(edited.getByRole("button", { name: "Edit and send again" })).toHaveCount(0);
    await expect(messages(page)).toHaveCount(5);
    await expect(composer(page)).toBeFocused();
    await page.evaluate((id) => window.__fake.ack(id), failed.client_msg_id!);
    await expect(edited).toHaveAttribute("data-state", "sent");
    await shot(page, "message-edited");
  });

  test("an empty text is refused in the core's words and the field stays; only failed own messages offer Edit", async ({
    app: page,
  }) => {
    const { failed, message } = await failedMessage(page, "Refused text");
    // Sent and received messages offer no Edit.
    await expect(page.getByRole("button", { name: "Edit and send again" })).toHaveCount(1);

    await message.getByRole("button", { name: "Edit and send again" }).click();
    const field = message.getByRole("textbox", { name: "Edit message" });
    await field.fill("   ");
    await field.press("Enter");
    await expect(message.getByRole("alert")).toHaveText("Couldn't send the edited message: a message can't be empty");
    await expect(field).toBeVisible();
    await expect(field).toHaveAttribute("aria-invalid", "true");
    expect(await callsOf(page, "edit_message")).toEqual([{ clientMsgId: failed.client_msg_id, body: "" }]);
    await expect(message).toHaveAttribute("data-state", "failed");

    // The Send button works like Enter.
    await field.fill("Fixed text");
    await message.getByRole("button", { name: "Send", exact: true }).click();
    await expect.poll(() => callsOf(page, "edit_message")).toHaveLength(2);
    expect((await callsOf(page, "edit_message"))[1]).toEqual({ clientMsgId: failed.client_msg_id, body: "Fixed text" });
    const edited = page.locator(`[data-testid="message"][data-client-msg-id="${failed.client_msg_id}"]`);
    await expect(edited).toHaveAttribute("data-state", "pending");
    await expect(edited.getByRole("alert")).toHaveCount(0);
  });
});

test.describe("links", () => {
  const linksIn = (page: Page, text: string) => messageWith(page, text).getByTestId("message-link");

  test("web links are buttons that ask the core to open them, without the sentence's punctuation", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    const body =
      "Trail report: https://trails.example/ridge?day=sat. Geology (https://en.wikipedia.org/wiki/Ridge_(geology)), and HTTPS://MAPS.EXAMPLE/Ridge!";
    await page.evaluate((body) => window.__fake.reply("chat-mina", body), body);
    const message = messageWith(page, "Trail report:");
    // Still the text as sent, every character of it.
    await expect(message.getByTestId("message-body")).toHaveText(body);
    await expect(linksIn(page, "Trail report:")).toHaveText([
      "https://trails.example/ridge?day=sat",
      "https://en.wikipedia.org/wiki/Ridge_(geology)",
      "HTTPS://MAPS.EXAMPLE/Ridge",
    ]);
    await shot(page, "message-link");

    const url = page.url();
    await message.getByRole("link", { name: "https://trails.example/ridge?day=sat", exact: true }).click();
    await expect.poll(() => callsOf(page, "open_link")).toEqual([{ url: "https://trails.example/ridge?day=sat" }]);

    // By keyboard too: each link is a Tab stop, Enter opens it.
    await page.keyboard.press("Tab");
    await expect(
      message.getByRole("link", { name: "https://en.wikipedia.org/wiki/Ridge_(geology)", exact: true }),
    ).toBeFocused();
    await page.keyboard.press("Enter");
    await expect.poll(() => callsOf(page, "open_link")).toHaveLength(2);
    expect((await callsOf(page, "open_link"))[1]).toEqual({ url: "https://en.wikipedia.org/wiki/Ridge_(geology)" });

    // The web view went nowhere and opened nothing.
    expect(page.url()).toBe(url);
    expect(page.context().pages()).toHaveLength(1);
    await expect(page.locator("a[href]")).toHaveCount(0);
    await expect(message.getByRole("alert")).toHaveCount(0);
  });

  test("other schemes and hostile text stay text; a disguised link is refused with the reason; a long URL wraps", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    const hostile = [
      "javascript:alert(1)",
      "file:///etc/passwd mailto:mina@trails.example outlast.example www.trails.example ftp://files.example/x",
      "xhttps://glued.example and https:// alone and https://.",
      "<a href=javascript:window.__xss=1>click</a> [x](javascript:window.__xss=2)",
    ];
    for (const body of hostile) await page.evaluate((body) => window.__fake.reply("chat-mina", body), body);
    for (const body of hostile) {
      const message = messageWith(page, body.slice(0, 12));
      await expect(message.getByTestId("message-body")).toHaveText(body);
      await expect(message.getByTestId("message-link")).toHaveCount(0);
    }
    await expect(page.getByTestId("message-link")).toHaveCount(0);

    // A link that hides its real host behind a user name: shown, but the core won't open it.
    await page.evaluate(() => window.__fake.reply("chat-mina", "Your bank: https://bank.example@evil.example/login"));
    const disguised = messageWith(page, "Your bank");
    await disguised.getByRole("link", { name: "https://bank.example@evil.example/login" }).click();
    await expect(disguised.getByRole("alert")).toHaveText(
      "Couldn't open the link: the link names a user before its address (evil.example), a way to disguise where it goes; copy it instead if you trust it",
    );
    expect(await callsOf(page, "open_link")).toEqual([{ url: "https://bank.example@evil.example/login" }]);

    // A very long URL breaks inside its bubble instead of widening the chat.
    const long = `https://long.example/${"a1b2c3".repeat(350)}`;
    await page.evaluate((body) => window.__fake.reply("chat-mina", `Look: ${body}`), long);
    const longMessage = messageWith(page, "Look:");
    await expect(longMessage.getByTestId("message-link")).toHaveText(long);
    const bubble = (await longMessage.getByTestId("message-body").boundingBox())!;
    const list = (await log(page).boundingBox())!;
    expect(bubble.x + bubble.width).toBeLessThanOrEqual(list.x + list.width);
    expect(bubble.width).toBeLessThan(list.width * 0.8);
    expect(await log(page).evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    // Too long for the core: it says so.
    await longMessage.getByTestId("message-link").click();
    await expect(longMessage.getByRole("alert")).toHaveText("Couldn't open the link: the link is longer than 2048 characters");

    await expect(page.locator("a[href]")).toHaveCount(0);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
  });
});

test.describe("drafts", () => {
  const saves = (page: Page) => callsOf(page, "save_draft");
  const preview = (page: Page, chatId: string) => chatItem(page, chatId).getByTestId("chat-preview");

  test.describe("typing", () => {
    test.use({ fakeClock: true });

    test("what is typed is saved once typing pauses (offline too), at once on leaving the chat, and comes back", async ({
      app: page,
    }) => {
      await loadedAndPaused(page);
      // Drafts are local: no connection needed.
      await page.evaluate(() => window.__fake.setWaiting(60_000, "no network"));

      await composer(page).pressSequentially("Bring the");
      await page.clock.runFor(300);
      await composer(page).pressSequentially(" map");
      await page.clock.runFor(399);
      expect(await saves(page)).toEqual([]);
      await page.clock.runFor(1);
      await expect.poll(() => saves(page)).toEqual([{ chatId: "chat-mina", body: "Bring the map" }]);
      await expect(preview(page, "chat-mina")).toHaveText("Draft: Bring the map");
      await expect(chatItem(page, "chat-mina").getByTestId("draft-mark")).toHaveCSS("color", "rgb(47, 92, 141)");

      // Leaving the chat saves what was typed since, without waiting.
      await composer(page).pressSequentially(", please");
      await chatItem(page, "chat-hiking").click();
      await expect.poll(() => saves(page)).toHaveLength(2);
      expect((await saves(page))[1]).toEqual({ chatId: "chat-mina", body: "Bring the map, please" });
      await expect(composer(page)).toHaveValue("");
      await expect(preview(page, "chat-mina")).toHaveText("Draft: Bring the map, please");
      await expect(chatItem(page, "chat-mina")).toHaveAttribute("aria-label", /Draft: Bring the map, please$/);
      await shot(page, "chat-list-draft");

      // Back in the chat: the text is there to go on with.
      await chatItem(page, "chat-mina").click();
      await expect(composer(page)).toHaveValue("Bring the map, please");
      await expect(composer(page)).toBeFocused();
      // Losing the focus saves at once too (nothing new here: nothing is sent).
      await composer(page).blur();
      await page.clock.runFor(1000);
      expect(await saves(page)).toHaveLength(2);

      // Erasing it clears the draft.
      await composer(page).fill("");
      await page.clock.runFor(400);
      await expect.poll(() => saves(page)).toHaveLength(3);
      expect((await saves(page))[2]).toEqual({ chatId: "chat-mina", body: "" });
      await expect(preview(page, "chat-mina")).not.toContainText("Draft:");
      expect(await page.evaluate(() => window.__fake.drafts())).toEqual([]);
    });
  });

  test.describe("kept from before", () => {
    test.use({
      fakeOptions: {
        signedIn: true,
        drafts: { "chat-hiking": "I'll bring the poles", "chat-joon": "Loved the book, especially" },
      },
    });

    test("drafts the core kept are listed and restored when their chat opens; sending clears one", async ({
      app: page,
    }) => {
      await expect(messages(page)).toHaveCount(4);
      expect(await callsOf(page, "drafts")).toHaveLength(1);
      await expect(preview(page, "chat-hiking")).toHaveText("Draft: I'll bring the poles");
      await expect(preview(page, "chat-joon")).toHaveText("Draft: Loved the book, especially");
      await expect(preview(page, "chat-mina")).not.toContainText("Draft:");
      // The open chat had none.
      await expect(composer(page)).toHaveValue("");

      await chatItem(page, "chat-hiking").click();
      await expect(composer(page)).toHaveValue("I'll bring the poles");
      await composer(page).press("Enter");
      await expect.poll(() => callsOf(page, "send_message")).toEqual([
        { chatId: "chat-hiking", body: "I'll bring the poles" },
      ]);
      await expect.poll(() => saves(page)).toEqual([{ chatId: "chat-hiking", body: "" }]);
      await expect(preview(page, "chat-hiking")).toHaveText("You: I'll bring the poles");
      await expect(composer(page)).toHaveValue("");
      expect(await page.evaluate(() => window.__fake.drafts())).toEqual([["chat-joon", "Loved the book, especially"]]);

      await chatItem(page, "chat-joon").click();
      await expect(composer(page)).toHaveValue("Loved the book, especially");
      await expect(preview(page, "chat-joon")).toHaveText("Draft: Loved the book, especially");
    });
  });
});

test.describe("tester panel", () => {
  const testerButton = (page: Page) => page.getByRole("button", { name: "Tester", exact: true });
  const panel = (page: Page) => page.getByRole("dialog", { name: "Tester" });
  const listener = (page: Page, id: string) => page.locator(`[data-testid="tester-listener"][data-listener-id="${id}"]`);
  const faultOf = (page: Page, id: string) => listener(page, id).getByTestId("listener-fault");
  const faults = (page: Page) =>
    page.evaluate(() => Object.fromEntries(window.__fake.testerStatus().listeners.map((l) => [l.id, l.fault])));
  const entries = (page: Page) => page.getByTestId("timeline-entry");

  test("without the mock backend there is no tester panel", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    await expect.poll(() => callsOf(page, "tester_status")).toEqual([{}]);
    await expect(page.getByTestId("settings-button")).toBeVisible();
    await expect(page.getByTestId("tester-button")).toHaveCount(0);
    await expect(testerButton(page)).toHaveCount(0);
  });

  test.describe("with the mock backend", () => {
    test.use({ fakeOptions: { signedIn: true, mockMode: true } });

    test("fault buttons set faults and show the answer; groups, free-form and errors", async ({ app: page }) => {
      // Many steps in one story: give it room on a busy machine.
      test.slow();
      await expect(messages(page)).toHaveCount(4);
      // Keyboard: the button is reachable and opens the panel.
      await testerButton(page).focus();
      await page.keyboard.press("Enter");
      await expect(panel(page)).toBeVisible();
      await expect(page.getByTestId("tester-listener")).toHaveCount(9);
      await expect(panel(page).getByRole("group", { name: "Gateways" }).getByTestId("tester-listener")).toHaveCount(4);
      await expect(panel(page).getByRole("list", { name: "Gateways, region A" }).getByTestId("tester-listener")).toHaveText([
        /gw-a1/,
        /gw-a2/,
      ]);
      await expect(faultOf(page, "gw-a1")).toHaveText("up");

      const set = async (name: string, target: string, fault: string) => {
        const before = (await callsOf(page, "tester_set_fault")).length;
        await panel(page).getByRole("button", { name, exact: true }).click();
        await expect.poll(async () => (await callsOf(page, "tester_set_fault")).slice(before)).toEqual([{ target, fault }]);
      };

      await set("Black hole gw-a1", "gw-a1", "blackhole");
      await expect(faultOf(page, "gw-a1")).toHaveText("blackhole");
      await set("Slow (2 s) gw-b1", "gw-b1", "slow:2000");
      await expect(faultOf(page, "gw-b1")).toHaveText("slow:2000");
      await set("Refuse api-a", "api-a", "refuse");
      await expect(faultOf(page, "api-a")).toHaveText("refuse");
      await set("Up gw-a1", "gw-a1", "up");
      await expect(faultOf(page, "gw-a1")).toHaveText("up");

      await set("All gateways down", "service:gateway", "refuse");
      await expect(panel(page).getByRole("list", { name: /^Gateways/ }).getByTestId("listener-fault")).toHaveText([
        "refuse",
        "refuse",
        "refuse",
        "refuse",
      ]);
      const gatewayGroup = page.locator('[data-testid="tester-group"][data-target="service:gateway"]');
      await expect(gatewayGroup.getByTestId("group-fault")).toHaveText("refuse");
      await set("Media down", "service:media", "refuse");
      await set("Auth up", "service:auth", "up");
      await set("API up", "service:api", "up");
      await set("Region B up", "region:b", "up");
      await expect(gatewayGroup.getByTestId("group-fault")).toHaveText("2 of 4 up");

      await set("Everything down", "all", "refuse");
      // The call is recorded when it is made; the fake applies it a moment later.
      await expect.poll(async () => Object.values(await faults(page))).toEqual(Array(9).fill("refuse"));
      await expect(page.getByTestId("listener-fault")).toHaveText(Array(9).fill("refuse"));
      await set("Everything up", "all", "up");
      await expect(page.getByTestId("listener-fault")).toHaveText(Array(9).fill("up"));

      // Free-form: any fault the mock understands.
      const target = panel(page).getByRole("textbox", { name: "Target" });
      const fault = panel(page).getByRole("textbox", { name: "Fault" });
      await expect(fault).toHaveAttribute("placeholder", /^up \| refuse \| reset \| blackhole \| slow:<ms>/);
      await target.fill("gw-a2");
      await fault.fill("flaky:0.3");
      await fault.press("Enter");
      await expect.poll(async () => (await callsOf(page, "tester_set_fault")).at(-1)).toEqual({
        target: "gw-a2",
        fault: "flaky:0.3",
      });
      await expect(faultOf(page, "gw-a2")).toHaveText("flaky:0.3");

      // The mock's refusal is said, in its words.
      await fault.fill("explode");
      await panel(page).getByRole("button", { name: "Apply" }).click();
      await expect(panel(page).getByTestId("tester-error")).toHaveText(
        /^Couldn't set gw-a2 → explode: bad fault "explode": expected up \| refuse/,
      );
      await expect(faultOf(page, "gw-a2")).toHaveText("flaky:0.3");
      await panel(page).getByRole("button", { name: "Refuse gw-a2", exact: true }).click();
      await expect(panel(page).getByTestId("tester-error")).toHaveCount(0);

      // The tester's own actions are on the timeline, newest first.
      await expect(entries(page).filter({ hasText: "You set" }).first()).toHaveText(/You set gw-a2 → refuse$/);
      await expect(entries(page).filter({ hasText: "You set gw-a1 → blackhole" })).toHaveCount(1);
      await expect(entries(page).filter({ hasText: "You set all → refuse" })).toHaveAttribute("data-kind", "tester");

      // Esc closes; the focus goes back to the Tester button.
      await page.keyboard.press("Escape");
      await expect(panel(page)).toHaveCount(0);
      await expect(testerButton(page)).toBeFocused();
    });

    test("the timeline keeps the newest 200 entries", async ({ app: page }) => {
      await expect(messages(page)).toHaveCount(4);
      await page.evaluate(() => {
        for (let i = 1; i <= 230; i++) window.__fake.setWaiting(i * 1000, `attempt ${i} failed`);
      });
      await testerButton(page).click();
      await expect(entries(page)).toHaveCount(200);
      await expect(entries(page).first()).toContainText("Waiting 230 s before trying again");
      await expect(entries(page).last()).toContainText("Waiting 31 s before trying again");
    });

    test.describe("with time under control", () => {
      test.use({ fakeClock: true });

      test("a scenario plays, is followed every second and stops; the timeline shows what the core reported", async ({
        app: page,
      }) => {
        await loadedAndPaused(page);
        // Reported while the panel is closed: recorded all the same.
        await page.evaluate(() => {
          const f = window.__fake;
          f.setServices({ gateway: "down" }, "every gateway refused the connection");
          f.setWaiting(4000, "gw-a1 refused the connection");
          f.setConnection({
            state: "connecting",
            endpoint: "https://api-a.mock.test",
            region: "a",
            transport: "rest",
            why: "no gateway answers; trying the REST API",
          });
          f.setConnection({
            state: "connected",
            endpoint: "https://api-a.mock.test",
            region: "a",
            transport: "rest",
            session_id: null,
            preferred_region: true,
          });
          f.syncProgress(1200, 5000);
          f.syncProgress(3000, 5000);
          f.historyGap();
        });
        await testerButton(page).click();
        await expect(panel(page)).toBeVisible();
        await expect(entries(page).locator(".text")).toHaveText([
          /^History gap: events [\d,]+ to [\d,]+ skipped/,
          "Catching up: 3,000 of 5,000 events",
          "Connected to https://api-a.mock.test (region a) over REST (limited)",
          "Connecting to https://api-a.mock.test (region a) over REST (limited): no gateway answers; trying the REST API",
          "Waiting 4 s before trying again, last tried ws://127.0.0.1:7711/gateway (region a): gw-a1 refused the connection",
          "Gateway down: every gateway refused the connection",
          "Session: Connected to ws://127.0.0.1:7711/gateway (region a) over the gateway",
        ]);
        await expect(entries(page).nth(2)).toHaveAttribute("data-state", "connected");

        // Play at 600×.
        const statusCalls = async () => (await callsOf(page, "tester_status")).length;
        await panel(page).getByRole("radio", { name: "600×" }).check();
        await panel(page).getByRole("button", { name: "Play pc-gateway-down-54m" }).click();
        await expect.poll(() => callsOf(page, "tester_play")).toEqual([{ name: "pc-gateway-down-54m", timeScale: 600 }]);
        const playing = panel(page).getByTestId("tester-playing");
        await expect(playing).toHaveText(/Playing pc-gateway-down-54m/);
        await expect(page.locator('[data-testid="tester-scenario"][data-name="pc-gateway-down-54m"]')).toContainText(
          "Playing",
        );

        // The scenario moves the faults; the panel reads them again every second.
        await page.evaluate(() => window.__fake.scenarioStep("service:gateway", "refuse"));
        const before = await statusCalls();
        await page.clock.runFor(1000);
        await expect.poll(statusCalls).toBe(before + 1);
        await expect(faultOf(page, "gw-b2")).toHaveText("refuse");
        await page.evaluate(() => {
          window.__fake.setWaiting(8000, "gw-b1 refused the connection");
        });
        await expect(entries(page).first()).toContainText("Waiting 8 s before trying again");
        await panel(page).getByTestId("tester-levers").evaluate((el) => (el.scrollTop = 0));
        await shot(page, "tester-panel");

        await playing.getByRole("button", { name: "Stop the scenario" }).click();
        await expect.poll(() => callsOf(page, "tester_stop")).toEqual([{}]);
        await expect(playing).toHaveCount(0);
        await expect(entries(page).first()).toHaveText(/You stopped pc-gateway-down-54m$/);
        await expect(entries(page).nth(1)).toHaveText(/Waiting 8 s/);
        await expect(entries(page).filter({ hasText: "You played pc-gateway-down-54m at 600×" })).toHaveCount(1);
        // Stopped: no more reading every second. (The faults stay as the scenario left them.)
        const stopped = await statusCalls();
        await page.clock.runFor(3000);
        expect(await statusCalls()).toBe(stopped);
        await expect(faultOf(page, "gw-a1")).toHaveText("refuse");

        // A scenario that ends by itself stops the reading too.
        await panel(page).getByRole("button", { name: "Play region-a-lost" }).click();
        await expect(playing).toHaveText(/Playing region-a-lost/);
        await page.evaluate(() => window.__fake.scenarioEnd());
        await page.clock.runFor(1000);
        await expect(playing).toHaveCount(0);
        const ended = await statusCalls();
        await page.clock.runFor(3000);
        expect(await statusCalls()).toBe(ended);
      });
    });
  });
});
