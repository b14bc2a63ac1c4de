// Files on their way: an own file uploading and a received file being saved show
// a bar with how far they are (the core's transfer_progress), which goes when
// the upload is done (the message brings the file's media id) or the save is.
import type { ChatMessage } from "../src/lib/bindings/ChatMessage";
import type { TransferFile } from "../src/lib/bindings/TransferFile";
import type { Locator } from "@playwright/test";
import { callsOf, expect, messageWith, messages, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");

const MAP = 2_457_600; // trail-map.pdf in the fake: 2.3 MB
const SUMMIT = 3_251_200; // summit.jpg: 3.1 MB

const progress = (page: Page, file: TransferFile, done: number, total: number) =>
  page.evaluate(([file, done, total]) => window.__fake.emit({ type: "transfer_progress", file, done, total }), [
    file,
    done,
    total,
  ] as const);

/** Sends trail-map.pdf and summit.jpg with a caption; resolves with the message's client id. */
async function sendTwoFiles(page: Page): Promise<string> {
  await expect(messages(page)).toHaveCount(4);
  await page.evaluate(() => window.__fake.setPicked(["/home/me/Maps/trail-map.pdf", "/home/me/Pictures/summit.jpg"]));
  await page.getByTestId("composer").fill("Route for Saturday");
  await page.getByTestId("attach-button").click();
  await expect.poll(() => callsOf(page, "send_files")).toHaveLength(1);
  await expect(messageWith(page, "Route for Saturday").getByTestId("attachment")).toHaveCount(2);
  return page.evaluate(() => window.__fake.sent[0].client_msg_id!);
}

/** The bar's fill has reached `percent` of its width (it moves there with a short transition). */
const expectFilled = (bar: Locator, percent: number) =>
  expect
    .poll(() =>
      bar.evaluate((el) => Math.round((100 * el.firstElementChild!.getBoundingClientRect().width) / el.clientWidth)),
    )
    .toBe(percent);

const upload = (clientMsgId: string, position: number): TransferFile => ({
  direction: "upload",
  client_msg_id: clientMsgId,
  position,
});

test.describe("uploading", () => {
  test("an own file's bar follows the upload and goes when the message brings its media id", async ({
    app: page,
  }) => {
    const id = await sendTwoFiles(page);
    const cards = messageWith(page, "Route for Saturday").getByTestId("attachment");
    const [map, summit] = [cards.nth(0), cards.nth(1)];
    await expect(cards.getByRole("progressbar")).toHaveCount(0);

    await progress(page, upload(id, 0), 0, MAP);
    const bar = map.getByRole("progressbar", { name: "Uploading trail-map.pdf" });
    await expect(bar).toHaveAttribute("aria-valuenow", "0");
    await expect(bar).toHaveAttribute("aria-valuemin", "0");
    await expect(bar).toHaveAttribute("aria-valuemax", "100");
    await expect(map.getByTestId("attachment-progress-text")).toHaveText("Uploading · 0 B of 2.3 MB");
    // Only the file that moves: the other one still waits its turn.
    await expect(summit.getByRole("progressbar")).toHaveCount(0);
    await expect(summit.getByTestId("attachment-status")).toHaveText("Waiting to upload");

    await progress(page, upload(id, 0), MAP / 2, MAP);
    await expect(bar).toHaveAttribute("aria-valuenow", "50");
    await expect(map.getByTestId("attachment-progress-text")).toHaveText("Uploading · 1.2 MB of 2.3 MB");
    await expect(map.getByTestId("attachment-status")).toHaveCount(0);

    // Done, but the message says so only once both files are up: the bar stays full meanwhile.
    await progress(page, upload(id, 0), MAP, MAP);
    await expect(bar).toHaveAttribute("aria-valuenow", "100");
    await expect(map.getByTestId("attachment-progress-text")).toHaveText("Uploading · 2.3 MB of 2.3 MB");
    await progress(page, upload(id, 1), 1_300_000, SUMMIT);
    await expect(summit.getByRole("progressbar", { name: "Uploading summit.jpg" })).toHaveAttribute(
      "aria-valuenow",
      "39",
    );
    await expect(summit.getByTestId("attachment-progress-text")).toHaveText("Uploading · 1.2 MB of 3.1 MB");
    await progress(page, upload(id, 1), SUMMIT, SUMMIT);

    await page.evaluate((id) => window.__fake.uploaded(id), id);
    await expect(cards.getByRole("progressbar")).toHaveCount(0);
    await expect(cards.getByTestId("attachment-progress-text")).toHaveCount(0);
    await expect(cards.getByTestId("attachment-size")).toHaveText(["2.3 MB", "3.1 MB"]);
    await expect(map.getByRole("button", { name: "Save trail-map.pdf" })).toBeVisible();
  });

  test("a failed attempt shows the waiting reason rather than an empty bar; a failed or deleted message has none", async ({
    app: page,
  }) => {
    const id = await sendTwoFiles(page);
    const message = messageWith(page, "Route for Saturday");
    const map = message.getByTestId("attachment").nth(0);
    await progress(page, upload(id, 0), 800_000, MAP);
    await expect(map.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "32");

    // The media service went away: the core starts over at 0 and says why the file waits.
    await progress(page, upload(id, 0), 0, MAP);
    await page.evaluate((id) => {
      const m = window.__fake.messagesOf("chat-mina").find((m) => m.client_msg_id === id)!;
      const why = "photos and files can't be sent right now (media unreachable); this message goes once they can";
      const waiting: ChatMessage = { ...m, attachments: m.attachments.map((f) => ({ ...f, waiting_because: why })) };
      window.__fake.emit({ type: "message_updated", message: waiting });
    }, id);
    await expect(map.getByRole("progressbar")).toHaveCount(0);
    await expect(map.getByTestId("attachment-status")).toHaveText("Waiting to upload");
    await expect(map.getByTestId("attachment-reason")).toHaveText(/^Photos and files can't be sent right now/);

    // Back: bytes move again, and the bar says so.
    await progress(page, upload(id, 0), 400_000, MAP);
    await expect(map.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "16");
    await expect(map.getByTestId("attachment-reason")).toHaveCount(0);

    // Failed for good: no bar, and none comes back from an old count.
    await page.evaluate((id) => window.__fake.fail(id, "the server refused trail-map.pdf"), id);
    await expect(message).toHaveAttribute("data-state", "failed");
    await expect(map.getByRole("progressbar")).toHaveCount(0);
    await expect(map.getByTestId("attachment-status")).toHaveText("Not uploaded");
  });

  test("the bar, half way, in the light theme; no motion when less is asked for", async ({ app: page }) => {
    const id = await sendTwoFiles(page);
    await progress(page, upload(id, 0), MAP / 2, MAP);
    const bar = page.getByRole("progressbar", { name: "Uploading trail-map.pdf" });
    await expect(bar).toHaveAttribute("aria-valuenow", "50");
    await expectFilled(bar, 50);
    await shot(page, "upload-progress-light");

    // The fill glides between counts, unless the system asks for less motion.
    const fill = bar.locator("div");
    await expect(fill).toHaveCSS("transition-duration", "0.1s");
    await page.emulateMedia({ reducedMotion: "reduce" });
    await expect(fill).toHaveCSS("transition-duration", "0s");
  });

  test.describe("in the dark theme", () => {
    test.use({ fakeOptions: { signedIn: true, appearance: { theme: "dark" } } });

    test("the bar, half way", async ({ app: page }) => {
      await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
      const id = await sendTwoFiles(page);
      await progress(page, upload(id, 0), MAP / 2, MAP);
      const bar = page.getByRole("progressbar", { name: "Uploading trail-map.pdf" });
      await expect(bar).toHaveAttribute("aria-valuenow", "50");
      await expectFilled(bar, 50);
      await shot(page, "upload-progress-dark");
    });
  });

  test.describe("in Korean", () => {
    test.use({ fakeOptions: { signedIn: true, appearance: { language: "korean" } } });

    test("the bar and its words speak Korean", async ({ app: page }) => {
      const id = await sendTwoFiles(page);
      await progress(page, upload(id, 0), MAP / 2, MAP);
      const map = messageWith(page, "Route for Saturday").getByTestId("attachment").nth(0);
      await expect(map.getByRole("progressbar", { name: "trail-map.pdf 업로드 중" })).toBeVisible();
      await expect(map.getByTestId("attachment-progress-text")).toHaveText("업로드 중 · 2.3 MB 중 1.2 MB");
    });
  });
});

test.describe("saving", () => {
  test("a received file being saved shows its bar until the save is done", async ({ app: page }) => {
    await expect(messages(page)).toHaveCount(4);
    const report = { name: "trail-report.pdf", size: 3_145_728, mime: "application/pdf", media_id: "media-77" };
    await page.evaluate(
      (report) => window.__fake.deliverFiles("chat-mina", { id: "mina", name: "Mina Park" }, "Here's the report", [report]),
      report,
    );
    const card = messageWith(page, "Here's the report").getByTestId("attachment");
    const file: TransferFile = { direction: "download", media_id: "media-77" };

    // Another window's save (or a stray count) draws nothing here.
    await progress(page, file, 0, report.size);
    await expect(card.getByRole("progressbar")).toHaveCount(0);

    await page.evaluate(() => window.__fake.hold("save_attachment"));
    await card.getByRole("button", { name: "Save trail-report.pdf" }).click();
    await expect.poll(() => callsOf(page, "save_attachment")).toHaveLength(1);
    await expect(card.getByRole("button", { name: "Save trail-report.pdf" })).toBeDisabled();
    await progress(page, file, 0, report.size);
    const bar = card.getByRole("progressbar", { name: "Saving trail-report.pdf" });
    await expect(bar).toHaveAttribute("aria-valuenow", "0");
    await expect(card.getByTestId("attachment-progress-text")).toHaveText("Saving · 0 B of 3.0 MB");

    await progress(page, file, 1_258_292, report.size);
    await expect(bar).toHaveAttribute("aria-valuenow", "40");
    await expect(card.getByTestId("attachment-progress-text")).toHaveText("Saving · 1.2 MB of 3.0 MB");
    await expectFilled(bar, 40);
    await shot(page, "save-progress");

    await progress(page, file, report.size, report.size);
    await page.evaluate(() => window.__fake.release("save_attachment"));
    await expect(card.getByRole("status")).toHaveText("Saved to /home/me/Downloads/trail-report.pdf");
    await expect(card.getByRole("progressbar")).toHaveCount(0);
    await expect(card.getByTestId("attachment-size")).toHaveText("3.0 MB");
    await expect(card.getByRole("button", { name: "Save trail-report.pdf" })).toBeEnabled();
  });
});
