import { callsOf, chatItem, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screens");

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
  const calls = await callsOf(page, "send_message");
  expect(calls[0]).toEqual({ chatId: "chat-mina", body: "Sounds great,\nsee you on Saturday!" });

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

test.describe("connection banner", () => {
  test.use({ fakeClock: true });

  const OFFLINE = "Offline — messages will be sent when the connection returns";
  const RENEWING = "Signed in — waiting for the sign-in service to renew your session";
  const LIMITED = "Connected in limited mode (no live gateway) — messages still go through";
  const MEDIA_DOWN = "Photos and files can't be sent right now; text messages still work";
  const AUTH_DOWN = "Sign-in service unavailable — you stay signed in";

  const banner = (page: Page) => page.getByTestId("connection-banner");
  const footerStatus = (page: Page) => page.getByTestId("connection-status");
  const reconnectCalls = async (page: Page) => (await callsOf(page, "reconnect_now")).length;

  /** Waits for the app to load with time flowing, then stops the page's clock. */
  async function loadedAndPaused(page: Page) {
    await expect(messages(page)).toHaveCount(4);
    await expect(banner(page)).toBeHidden();
    const now = await page.evaluate(() => Date.now());
    await page.clock.pauseAt(now + 1000);
  }

  const connected = (region: string, preferred: boolean, transport: "gateway" | "rest") =>
    ({
      state: "connected",
      endpoint: `ws://${region}.example.test/gateway`,
      region,
      transport,
      session_id: transport === "gateway" ? "sess-2" : null,
      preferred_region: preferred,
    }) as const;

  test("offline: shown after 2 s, with a countdown and Reconnect now", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate(() => window.__fake.setWaiting(12_000, "the gateway did not answer"));
    await page.clock.runFor(1999);
    await expect(banner(page)).toBeHidden();

    await page.clock.runFor(1);
    await expect(banner(page)).toBeVisible();
    await expect(banner(page)).toHaveAttribute("data-line", "offline");
    await expect(banner(page)).toContainText(OFFLINE);
    await expect(page.getByTestId("reconnect-countdown")).toHaveText("Reconnecting in 10 s");
    await expect(footerStatus(page)).toContainText("Reconnecting…");
    // The chats stay readable.
    await expect(messages(page)).toHaveCount(4);

    await page.clock.runFor(3000);
    await expect(page.getByTestId("reconnect-countdown")).toHaveText("Reconnecting in 7 s");
    await shot(page, "04a-banner-offline");

    const reconnect = page.getByRole("button", { name: "Reconnect now" });
    await expect(reconnect).toBeEnabled();
    expect(await reconnectCalls(page)).toBe(0);
    await reconnect.click();
    await expect.poll(() => reconnectCalls(page)).toBe(1);
    // The fake core starts an attempt: still offline, now trying.
    await expect(page.getByTestId("reconnect-countdown")).toHaveText("Reconnecting…");
    await expect(banner(page)).toContainText(OFFLINE);
    await expect(reconnect).toBeDisabled();
    await shot(page, "04b-banner-offline-reconnecting");

    await page.evaluate(() => window.__fake.setConnection({
      state: "connected",
      endpoint: "ws://127.0.0.1:7711/gateway",
      region: "a",
      transport: "gateway",
      session_id: "sess-2",
      preferred_region: true,
    }));
    await expect(banner(page)).toBeHidden();
    await expect(footerStatus(page)).toContainText("Connected ·");
  });

  test("renewing the session: signed in, waiting for the sign-in service", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate(() => {
      window.__fake.setServices({ auth: "down" }, "the sign-in service did not answer");
      window.__fake.setWaiting(0, "renewing the session as soon as the sign-in service answers (token expired)");
    });
    await page.clock.runFor(2000);
    await expect(banner(page)).toHaveAttribute("data-line", "renewing");
    await expect(banner(page)).toContainText(RENEWING);
    await expect(banner(page)).not.toContainText("Offline");
    await expect(page.getByTestId("reconnect-countdown")).toHaveText("");
    await shot(page, "04c-banner-renewing");

    await page.getByRole("button", { name: "Reconnect now" }).click();
    await expect.poll(() => reconnectCalls(page)).toBe(1);
    await expect(banner(page)).toContainText(RENEWING);
  });

  test("connecting for over 2 s: Reconnecting… with a spinner", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate(() =>
      window.__fake.setConnection({
        state: "connecting",
        endpoint: "ws://127.0.0.1:7711/gateway",
        region: "a",
        transport: "gateway",
        why: "the connection dropped",
      }),
    );
    await page.clock.runFor(1500);
    await expect(banner(page)).toBeHidden();
    await page.clock.runFor(500);
    await expect(banner(page)).toHaveText("Reconnecting…");
    await expect(banner(page).locator(".spinner")).toBeVisible();
    await expect(footerStatus(page)).toContainText("Connecting…");
    await shot(page, "04d-banner-connecting");
  });

  test("limited mode over REST", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate((state) => window.__fake.setConnection(state), connected("a", true, "rest"));
    await expect(banner(page)).toHaveText(LIMITED);
    await expect(banner(page)).toHaveAttribute("data-line", "limited");
    await expect(footerStatus(page)).toContainText("Connected (limited)");
    await shot(page, "04e-banner-limited");
  });

  test("backup region, and a blip there keeps the same line", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate((state) => window.__fake.setConnection(state), connected("b", false, "gateway"));
    await expect(banner(page)).toHaveText("Connected via backup server (region B)");
    await expect(footerStatus(page)).toContainText("Connected (backup)");
    await shot(page, "04f-banner-backup");

    await page.evaluate(() => window.__fake.setWaiting(1000, "the gateway closed the connection"));
    await page.clock.runFor(1000);
    await expect(banner(page)).toHaveText("Connected via backup server (region B)");
    await page.evaluate((state) => window.__fake.setConnection(state), connected("b", false, "gateway"));
    await page.clock.runFor(3000);
    await expect(banner(page)).toHaveText("Connected via backup server (region B)");
  });

  test("services: media down, then the sign-in service down", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate(() => window.__fake.setServices({ media: "down" }, "the media service did not answer"));
    await expect(banner(page)).toHaveText(MEDIA_DOWN);
    await expect(banner(page)).toHaveAttribute("data-line", "media_down");
    await shot(page, "04g-banner-media-down");

    // Media outranks the sign-in service; once media is back, the auth line shows.
    await page.evaluate(() => window.__fake.setServices({ auth: "down" }));
    await expect(banner(page)).toHaveText(MEDIA_DOWN);
    await page.evaluate(() => window.__fake.setServices({ media: "up" }));
    await expect(banner(page)).toHaveText(AUTH_DOWN);
    await expect(footerStatus(page)).toContainText("Connected ·");
    await shot(page, "04h-banner-auth-down");

    await page.evaluate(() => window.__fake.setServices({ auth: "up" }));
    await expect(banner(page)).toBeHidden();
  });

  test("services a backend names its own way: the banner goes by what each one is for", async ({ app: page }) => {
    await loadedAndPaused(page);
    // Not protocol v1's five: one service for everything live, and a file store of its own name.
    await page.evaluate(() =>
      window.__fake.declareServices([
        {
          id: "live",
          name: "Live",
          roles: ["live_updates", "requests"],
          status: { state: "up", since_ms: 0, detail: null },
        },
        {
          id: "files-eu",
          name: "EU file store",
          roles: ["files"],
          status: { state: "up", since_ms: 0, detail: null },
        },
      ]),
    );
    await expect(banner(page)).toBeHidden();
    await page.evaluate(() => window.__fake.setServices({ "files-eu": "down" }, "the EU file store did not answer"));
    await expect(banner(page)).toHaveText(MEDIA_DOWN);
    await expect(banner(page).getByTitle("the EU file store did not answer")).toBeVisible();
    await page.evaluate(() => window.__fake.setServices({ "files-eu": "up" }));
    await expect(banner(page)).toBeHidden();
  });

  test("a blip under 2 s never shows a banner", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate(() => window.__fake.setWaiting(800, "the gateway closed the connection"));
    await page.clock.runFor(800);
    await expect(banner(page)).toBeHidden();
    await page.evaluate(() =>
      window.__fake.setConnection({
        state: "connecting",
        endpoint: "ws://127.0.0.1:7711/gateway",
        region: "a",
        transport: "gateway",
        why: "retrying",
      }),
    );
    await page.clock.runFor(1100);
    await expect(banner(page)).toBeHidden();
    await page.evaluate(() =>
      window.__fake.setConnection({
        state: "connected",
        endpoint: "ws://127.0.0.1:7711/gateway",
        region: "a",
        transport: "gateway",
        session_id: "sess-3",
        preferred_region: true,
      }),
    );
    await page.clock.runFor(5000);
    await expect(banner(page)).toBeHidden();
    await expect(banner(page)).not.toHaveAttribute("data-line");

    // A new outage starts its own 2 s.
    await page.evaluate(() => window.__fake.setWaiting(30_000, "the gateway did not answer"));
    await page.clock.runFor(1999);
    await expect(banner(page)).toBeHidden();
    await page.clock.runFor(1);
    await expect(banner(page)).toContainText(OFFLINE);
  });

  test("sign-in required: the chats stay readable, Sign in leads to the form", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate(() => {
      window.__fake.setWaiting(5000, "the gateway refused the session");
      window.__fake.requireSignIn("the session was revoked");
    });
    // Not an outage: shown at once, and above everything else.
    await expect(banner(page)).toContainText("Your session ended — sign in again");
    await page.clock.runFor(3000);
    await expect(banner(page)).toHaveAttribute("data-line", "sign_in_required");
    await expect(banner(page)).not.toContainText("Offline");
    await expect(footerStatus(page)).toContainText("Session ended");
    await expect(page.getByTestId("chat-item")).toHaveCount(3);
    await expect(messages(page)).toHaveCount(4);
    await shot(page, "04i-banner-sign-in-required");

    await page.getByRole("button", { name: "Sign in again" }).click();
    await expect(page.getByTestId("sign-in")).toBeVisible();
    await expect(page.getByLabel("Server address")).toHaveValue("http://127.0.0.1:7710");
  });

  test("signed out by the core", async ({ app: page }) => {
    await loadedAndPaused(page);
    await page.evaluate(() => window.__fake.setConnection({ state: "signed_out" }));
    await expect(banner(page)).toContainText("Signed out");
    await expect(page.getByRole("button", { name: "Sign in again" })).toBeVisible();
    await shot(page, "04j-banner-signed-out");
  });
});

test("a history gap re-reads the open chat without a loading state", async ({ app: page }) => {
  await expect(messages(page)).toHaveCount(4);
  const opens = async () => (await callsOf(page, "open_chat")).length;
  const before = await opens();
  await page.evaluate(() => window.__fake.historyGap());
  await expect.poll(opens).toBe(before + 1);
  const last = (await callsOf(page, "open_chat")).at(-1);
  expect(last).toEqual({ chatId: "chat-mina" });
  await expect(messages(page)).toHaveCount(4);
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
    const logins = await callsOf(page, "login");
    expect(logins.at(-1)).toEqual({ server: "http://127.0.0.1:7710", username: "me", password: "secret" });
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

test.describe("hostile content", () => {
  // What other people (or a hostile server) can put in message bodies, display
  // names and chat titles. The app's CSP would also stop inline handlers from
  // running, so the DOM checks below (no such element or link is ever created)
  // are what shows the text stays text; `window.__xss` is the belt and braces.
  const RLO = "\u202E"; // RIGHT-TO-LEFT OVERRIDE
  const IMG = `<img src=x onerror="window.__xss=1">`;
  const SCRIPT = `<script>window.__xss=2</script>`;
  const SVG = `<svg onload="window.__xss=3">`;
  const JS_LINK = "javascript:window.__xss=4";
  const MD_LINK = "[click](javascript:window.__xss=5)";
  const HTML_LINK = `<a href="javascript:window.__xss=6">open</a>`;
  const RLO_FILE = `${RLO}gnp.exe`; // shows as "exe.png"
  const MALLORY = `Mallory ${IMG}`;
  const EVE = `${RLO}Eve`; // shows as "evE"
  const TITLE = `${SCRIPT}${SVG} Ops ${RLO}sliated`;
  const MEMBERS = [MALLORY, EVE, SVG, "You"];

  /** Elements and effects a payload would leave behind if it were ever parsed as HTML. */
  const traces = (page: Page) =>
    page.evaluate(() => ({
      xss: window.__xss ?? null,
      img: document.querySelectorAll('img[src="x"]').length,
      svgOnload: document.querySelectorAll("svg[onload]").length,
      javascriptLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
      links: document.querySelectorAll("a[href]").length,
      // Only the app's own bundle, and its boot script (theme and language before the first paint).
      scripts: Array.from(document.scripts)
        .filter((s) => !(s.type === "module" && new URL(s.src, location.href).pathname.startsWith("/assets/")))
        .filter((s) => !(s.type === "" && s.getAttribute("src") === "/boot.js"))
        .map((s) => s.outerHTML.slice(0, 80)),
      inlineHandlers: Array.from(document.querySelectorAll("*"))
        .filter((el) => Array.from(el.attributes).some((a) => a.name.toLowerCase().startsWith("on")))
        .map((el) => el.outerHTML.slice(0, 80)),
    }));
  const NO_TRACES = { xss: null, img: 0, svgOnload: 0, javascriptLinks: 0, links: 0, scripts: [], inlineHandlers: [] };

  /**
   * Every piece of rendered text that carries a bidi control sits in its own
   * isolating element (unicode-bidi: isolate or plaintext, e.g. <bdi> or
   * dir="auto") holding exactly one of the strings other people sent (a name,
   * a title, a body; or the start of one) and nothing else, so it cannot
   * reorder the UI around it.
   */
  const bidiIsolation = (page: Page, sentStrings: string[]) =>
    page.evaluate((sentStrings) => {
      const controls = /[\u202A-\u202E\u2066-\u2069]/;
      const leaks: string[] = [];
      let checked = 0;
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue ?? "";
        if (!controls.test(text)) continue;
        checked++;
        let el = node.parentElement;
        while (el && !["isolate", "plaintext"].includes(getComputedStyle(el).unicodeBidi)) el = el.parentElement;
        // (A preview may show the start of a string, cut with "…".)
        const fromSender = sentStrings.some(
          (sent) => sent === text || (text.endsWith("…") && sent.startsWith(text.slice(0, -1))),
        );
        if (!el || el.textContent !== text || !fromSender) {
          leaks.push(`${node.parentElement?.outerHTML.slice(0, 120)} (isolated by: ${el?.tagName ?? "nothing"})`);
        }
      }
      return { checked, leaks };
    }, sentStrings);

  /** Where each character of an element's text is drawn (left/right edges). */
  const charBoxes = (locator: ReturnType<Page["locator"]>) =>
    locator.evaluate((root) => {
      const out: { ch: string; left: number; right: number }[] = [];
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue ?? "";
        for (let i = 0; i < text.length; i++) {
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const box = range.getBoundingClientRect();
          out.push({ ch: text[i], left: box.left, right: box.right });
        }
      }
      return out;
    });

  test("script and HTML payloads in bodies, names and titles stay inert text, bidi-isolated", async ({
    app: page,
  }) => {
    await expect(messages(page)).toHaveCount(4);
    await page.evaluate(
      ({ title, members }) => window.__fake.addChat({ chat_id: "chat-evil", title, member_names: members }),
      { title: TITLE, members: MEMBERS },
    );
    const evil = chatItem(page, "chat-evil");
    await expect(evil).toBeVisible();

    const sent: [string, string, string][] = [
      ["mallory", MALLORY, IMG],
      ["mallory", MALLORY, SCRIPT],
      ["mallory", MALLORY, SVG],
      ["eve", EVE, JS_LINK],
      ["eve", EVE, MD_LINK],
      ["eve", EVE, HTML_LINK],
      ["eve", EVE, RLO_FILE],
    ];
    for (const [id, name, body] of sent) {
      await page.evaluate(({ id, name, body }) => window.__fake.deliver("chat-evil", { id, name }, body), {
        id,
        name,
        body,
      });
    }
    // Seen in the chat list first (title, and the last message with its sender).
    await expect(evil.getByTestId("unread-badge")).toHaveText(String(sent.length));
    await expect(evil).toContainText(TITLE);
    await expect(evil.getByTestId("chat-preview")).toHaveText(`${EVE}: ${RLO_FILE}`);
    expect(await traces(page)).toEqual(NO_TRACES);

    await evil.click();
    await expect(evil).toHaveAttribute("aria-current", "true");
    await expect(page.getByRole("heading", { level: 2 })).toHaveText(TITLE);
    await expect(page.getByRole("region", { name: `Chat with ${TITLE}` }).locator(".members")).toContainText(
      MEMBERS.join(", "),
    );

    // Literal text, exactly as sent.
    await expect(page.getByTestId("message-body")).toHaveText(sent.map(([, , body]) => body));
    await expect(page.getByTestId("message-sender")).toHaveText([MALLORY, EVE]);
    const log = page.getByTestId("message-list");
    for (const [, , body] of sent) await expect(log.getByText(body, { exact: true })).toBeVisible();

    // Nothing was parsed: no image, script, svg, link or handler; nothing ran.
    expect(await traces(page)).toEqual(NO_TRACES);
    await log.getByText(JS_LINK, { exact: true }).click();
    await log.getByText(MD_LINK, { exact: true }).click();
    await log.getByText(HTML_LINK, { exact: true }).click();
    await expect(page.getByRole("heading", { level: 2 })).toHaveText(TITLE); // did not navigate
    expect(await traces(page)).toEqual(NO_TRACES);

    // Right-to-left overrides stay inside their own text. Sender name, bodies,
    // chat list title and preview (name and text), header title, members line.
    const bidi = await bidiIsolation(page, [TITLE, ...MEMBERS, RLO_FILE]);
    expect(bidi.leaks).toEqual([]);
    // Sender name and body; chat list title, preview name and text; header title and members.
    expect(bidi.checked).toBeGreaterThanOrEqual(7);
    // The preview "‮Eve: ‮gnp.exe" still reads name, colon, text from left to right;
    // unisolated, the override would flip the whole line to "exe.png :evE".
    const boxes = await charBoxes(evil.getByTestId("chat-preview"));
    const text = boxes.map((b) => b.ch).join("");
    const at = text.indexOf(`${EVE}: `);
    expect(at).toBeGreaterThanOrEqual(0);
    const drawn = (from: number, to: number) => boxes.slice(from, to).filter((b) => b.right > b.left);
    const name = drawn(at, at + EVE.length);
    const colon = boxes[at + EVE.length];
    const file = drawn(at + EVE.length + 2, at + EVE.length + 2 + RLO_FILE.length);
    expect(name).toHaveLength(3);
    expect(file).toHaveLength(7);
    expect(Math.max(...name.map((b) => b.right))).toBeLessThanOrEqual(colon.left + 0.5);
    expect(Math.min(...file.map((b) => b.left))).toBeGreaterThanOrEqual(colon.right - 0.5);

    // Own messages too (and what the composer sends is sent verbatim).
    const composer = page.getByTestId("composer");
    await composer.fill(`${IMG} ${JS_LINK}`);
    await composer.press("Enter");
    await expect(messages(page).last().getByTestId("message-body")).toHaveText(`${IMG} ${JS_LINK}`);
    expect(await page.evaluate(() => window.__fake.sent.map((m) => m.body))).toEqual([`${IMG} ${JS_LINK}`]);
    expect(await traces(page)).toEqual(NO_TRACES);
    await shot(page, "07a-hostile-content");
  });

  test("100 kB of combining marks and a 100 kB word keep the layout and the UI responsive", async ({
    app: page,
  }) => {
    const OVERLAY_MARKS = "Z" + "\u0336\u0337\u0338".repeat(34_000); // 102,001 code points
    const STACKED_MARKS = "Z" + "\u030D\u030E\u0304\u0305\u033F\u0311\u0346\u034A".repeat(12_750);
    const WORD = "Unbroken".repeat(12_800); // 102,400 characters, no break opportunity
    const LONG_NAME = `${RLO}${"N".repeat(3000)}`;
    await expect(messages(page)).toHaveCount(4);
    await page.evaluate(
      (members) => window.__fake.addChat({ chat_id: "chat-big", title: "Big messages", member_names: members }),
      [LONG_NAME, "Mallory", "You"],
    );
    const big = chatItem(page, "chat-big");
    await expect(big).toBeVisible();
    await big.click();
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Big messages");
    const bodies = [WORD, OVERLAY_MARKS, STACKED_MARKS];
    const senders = [
      { id: "mallory", name: "Mallory" },
      { id: "mallory", name: "Mallory" },
      { id: "long", name: LONG_NAME },
    ];
    for (const [i, body] of bodies.entries()) {
      await page.evaluate(({ sender, body }) => window.__fake.deliver("chat-big", sender, body), {
        sender: senders[i],
        body,
      });
    }
    await expect(messages(page)).toHaveCount(3);
    await expect(messages(page).last()).toBeInViewport();

    // Nothing sticks out of the message list, sideways or as glyph ink.
    const list = page.getByTestId("message-list");
    const listBox = (await list.boundingBox())!;
    for (const bubble of await page.getByTestId("message-body").all()) {
      const box = (await bubble.boundingBox())!;
      expect(box.width).toBeLessThanOrEqual(listBox.width);
      expect(box.x).toBeGreaterThanOrEqual(listBox.x);
      expect(box.x + box.width).toBeLessThanOrEqual(listBox.x + listBox.width + 0.5);
      // Marks drawn above or below the text are clipped to the bubble.
      expect(await bubble.evaluate((el) => getComputedStyle(el).overflowY)).not.toBe("visible");
    }
    for (const sender of await page.getByTestId("message-sender").all()) {
      const box = (await sender.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(listBox.x + listBox.width + 0.5);
    }
    const overflow = await page.evaluate(() => {
      const log = document.querySelector<HTMLElement>('[data-testid="message-list"]')!;
      return {
        page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        log: log.scrollWidth - log.clientWidth,
      };
    });
    expect(overflow).toEqual({ page: 0, log: 0 });
    await expect(page.getByTestId("message-body").nth(0)).toHaveText(WORD);
    // Marks are drawn, up to a sane number per character.
    for (const [i, payload] of [OVERLAY_MARKS, STACKED_MARKS].entries()) {
      const drawn = (await page.getByTestId("message-body").nth(i + 1).textContent())!;
      expect(drawn.length).toBeGreaterThan(8);
      expect(drawn.length).toBeLessThan(100);
      expect(payload.startsWith(drawn)).toBe(true);
    }
    expect((await bidiIsolation(page, [LONG_NAME])).leaks).toEqual([]);
    await shot(page, "07b-hostile-huge-messages");

    // The chat list shows a bounded, one-line preview (and a bounded accessible name).
    const preview = big.getByTestId("chat-preview");
    expect((await preview.textContent())!.length).toBeLessThan(400);
    expect((await big.getAttribute("aria-label"))!.length).toBeLessThan(600);
    await expect(preview).toContainText(`${LONG_NAME.slice(0, 20)}`);
    await expect(preview).toContainText(`…: ${STACKED_MARKS.slice(0, 9)}`);
    const previewBox = (await preview.boundingBox())!;
    expect(previewBox.height).toBeLessThan(30);

    // Still responsive: typing, Enter sends, switching chats and back.
    const composer = page.getByTestId("composer");
    await composer.click();
    await composer.pressSequentially("still typing fine");
    await expect(composer).toHaveValue("still typing fine");
    await composer.press("Enter");
    await expect(composer).toHaveValue("");
    await expect(messages(page)).toHaveCount(4);
    await expect(messages(page).last().getByTestId("message-body")).toHaveText("still typing fine");
    expect(await page.evaluate(() => window.__fake.sent.map((m) => [m.chat_id, m.body]))).toEqual([
      ["chat-big", "still typing fine"],
    ]);

    await chatItem(page, "chat-mina").click();
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Mina Park");
    await expect(messages(page)).toHaveCount(4);
    await big.click();
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Big messages");
    await expect(messages(page)).toHaveCount(4);
    await expect(messages(page).last()).toBeInViewport();
    await shot(page, "07c-hostile-huge-after-switch");
  });
});
