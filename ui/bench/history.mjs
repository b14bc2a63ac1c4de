// Benchmark: a chat of 100,000 messages in the message list.
//
//   npm run bench:history                  # builds, then 3 runs
//   node bench/history.mjs --runs 5 --messages 100000 --no-build
//
// Serves the production build with `vite preview` (as the UI tests do, on its
// own port so it can run beside them), loads it in Debian's Chromium with the
// tests' fake core (tests/fake-tauri.ts, its `longChat` option), and per run
// prints: the time from clicking the chat to its newest message painted; from a
// new message's event to it painted at the bottom (median of 5); frame
// times while the wheel scrolls up through a long stretch of the history
// (one wheel step per frame, as a fast, steady flick); how many message rows
// the page held at most; and frames in which the drawn rows did not cover the
// view (a blank area). Medians over the runs come last.
import { chromium } from "@playwright/test";
import { spawn, spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { transformWithOxc } from "vite";

const ui = join(dirname(fileURLToPath(import.meta.url)), "..");
const PORT = 4183;
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const RUNS = option("runs", 3);
const MESSAGES = option("messages", 100_000);
/** Wheel steps while scrolling up (100 px each, one per frame). */
const STEPS = option("steps", 600);
const WHEEL_PX = 100;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The tests' fake core, compiled from TypeScript, as a function to install in the page. */
async function loadFake() {
  const file = join(ui, "tests/fake-tauri.ts");
  const { code } = await transformWithOxc(await readFile(file, "utf8"), file, { lang: "ts" });
  const module = await import(`data:text/javascript,${encodeURIComponent(code)}`);
  return module.installFakeTauri;
}

async function startPreview() {
  const server = spawn("npx", ["vite", "preview", "--port", String(PORT), "--strictPort"], {
    cwd: ui,
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  const url = `http://127.0.0.1:${PORT}/`;
  for (let tries = 0; tries < 300; tries++) {
    try {
      if ((await fetch(url)).ok) return { server, url };
    } catch {
      /* not up yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`vite preview did not answer on ${url}`);
}

async function run(browser, url, installFakeTauri) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 }, locale: "en-GB", timezoneId: "UTC" });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.addInitScript(installFakeTauri, { signedIn: true, longChat: { messages: MESSAGES } });
  await page.goto(url);
  const item = page.locator('[data-testid="chat-item"][data-chat-id="chat-archive"]');
  await item.waitFor();

  // Opening: from the click to the first frame painted with the newest message in view.
  // (Padded like the fake's ids, which sort as strings.)
  const newest = `archive-${String(MESSAGES).padStart(7, "0")}`;
  await page.evaluate((newest) => {
    const bench = (window.__bench = { clickAt: 0, paintedAt: 0 });
    const inView = () => {
      const list = document.querySelector('[data-testid="message-list"]');
      const row = document.querySelector(`[data-msg-id="${newest}"]`);
      if (!list || !row) return false;
      const a = list.getBoundingClientRect();
      const b = row.getBoundingClientRect();
      return b.top >= a.top - 1 && b.bottom <= a.bottom + 1;
    };
    const watch = () => {
      if (inView()) {
        // A message posted from a frame callback runs once that frame has been painted.
        const channel = new MessageChannel();
        channel.port1.onmessage = () => (bench.paintedAt = performance.now());
        channel.port2.postMessage(null);
      } else {
        requestAnimationFrame(watch);
      }
    };
    document.addEventListener(
      "click",
      (event) => {
        bench.clickAt = event.timeStamp;
        requestAnimationFrame(watch);
      },
      { capture: true, once: true },
    );
  }, newest);
  await item.click();
  await page.waitForFunction(() => window.__bench.paintedAt > 0, null, { timeout: 60_000, polling: 50 });
  const openMs = await page.evaluate(() => window.__bench.paintedAt - window.__bench.clickAt);

  // New messages at the bottom: from the core's event to the message painted in view.
  const arrivals = [];
  for (let i = 0; i < 5; i++) {
    arrivals.push(
      await page.evaluate(
        (i) =>
          new Promise((resolve) => {
            const start = performance.now();
            const message = window.__fake.reply("chat-archive", `Bench message ${i}: are you still there?`);
            const watch = () => {
              const list = document.querySelector('[data-testid="message-list"]').getBoundingClientRect();
              const row = document.querySelector(`[data-msg-id="${message.msg_id}"]`)?.getBoundingClientRect();
              if (row && row.bottom <= list.bottom + 1) {
                const channel = new MessageChannel();
                channel.port1.onmessage = () => resolve(performance.now() - start);
                channel.port2.postMessage(null);
              } else {
                requestAnimationFrame(watch);
              }
            };
            requestAnimationFrame(watch);
          }),
        i,
      ),
    );
  }

  // Scrolling up: a frame clock (intervals, rows in the page, whether the view is covered) while the wheel turns.
  const list = page.getByTestId("message-list");
  const box = await list.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const startTop = await list.evaluate((el) => el.scrollTop);
  await page.evaluate(() => {
    const frames = (window.__frames = { times: [], maxRows: 0, uncovered: 0, running: true });
    const list = document.querySelector('[data-testid="message-list"]');
    const tick = (now) => {
      frames.times.push(now);
      frames.maxRows = Math.max(frames.maxRows, document.querySelectorAll('[data-testid="message"]').length);
      const view = list.getBoundingClientRect();
      const rows = list.querySelector('[role="list"]')?.children ?? [];
      let top = Infinity;
      let bottom = -Infinity;
      for (const row of rows) {
        const r = row.getBoundingClientRect();
        top = Math.min(top, r.top);
        bottom = Math.max(bottom, r.bottom);
      }
      if (top > view.top + 40 || bottom < view.bottom - 20) frames.uncovered++;
      if (frames.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  for (let i = 0; i < STEPS; i++) {
    await page.mouse.wheel(0, -WHEEL_PX);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve())));
  }
  const frames = await page.evaluate(() => {
    window.__frames.running = false;
    return window.__frames;
  });
  const endTop = await list.evaluate((el) => el.scrollTop);
  await page.close();
  if (errors.length > 0) throw new Error(`page errors: ${errors.join("; ")}`);
  const intervals = frames.times.slice(1).map((t, i) => t - frames.times[i]);
  return {
    openMs,
    arrivalMs: median(arrivals),
    frameMedian: median(intervals),
    frameP95: percentile(intervals, 95),
    over50: intervals.filter((d) => d > 50).length,
    frames: intervals.length,
    scrolledPx: startTop - endTop,
    maxRows: frames.maxRows,
    uncovered: frames.uncovered,
  };
}

const fmt = (n, digits = 1) => n.toFixed(digits).padStart(8);

async function main() {
  if (!args.includes("--no-build")) {
    const built = spawnSync("npm", ["run", "build"], { cwd: ui, stdio: ["ignore", "ignore", "inherit"] });
    if (built.status !== 0) throw new Error("npm run build failed");
  }
  const installFakeTauri = await loadFake();
  const { server, url } = await startPreview();
  const results = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
      });
      try {
        results.push(await run(browser, url, installFakeTauri));
      } finally {
        await browser.close();
      }
      const r = results.at(-1);
      console.log(
        `run ${i + 1}: open ${r.openMs.toFixed(0)} ms; new message painted ${r.arrivalMs.toFixed(1)} ms; ` +
          `scrolling ${r.scrolledPx.toFixed(0)} px in ${r.frames} frames: median ${r.frameMedian.toFixed(1)} ms, p95 ${r.frameP95.toFixed(1)} ms, ${r.over50} over 50 ms; ` +
          `at most ${r.maxRows} message rows in the page; ${r.uncovered} frames with a blank area`,
      );
    }
  } finally {
    process.kill(-server.pid);
  }
  const m = (key) => median(results.map((r) => r[key]));
  console.log(`\nChat of ${MESSAGES.toLocaleString("en")} messages, median of ${RUNS} runs:`);
  console.log(`  open the chat (click -> newest message painted) ${fmt(m("openMs"), 0)} ms`);
  console.log(`  new message at the bottom (event -> painted)   ${fmt(m("arrivalMs"))} ms`);
  console.log(`  frame time while wheel-scrolling up, median   ${fmt(m("frameMedian"))} ms`);
  console.log(`  frame time while wheel-scrolling up, p95      ${fmt(m("frameP95"))} ms`);
  console.log(`  frames over 50 ms                              ${fmt(m("over50"), 0)}`);
  console.log(`  distance scrolled                              ${fmt(m("scrolledPx"), 0)} px`);
  console.log(`  most message rows in the page at once          ${fmt(m("maxRows"), 0)}`);
  console.log(`  frames with a blank area in the view           ${fmt(m("uncovered"), 0)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
