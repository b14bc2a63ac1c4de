import { defineConfig } from "@playwright/test";

// UI tests run the production build in Debian's Chromium (no browser
// download) with Tauri's IPC replaced by an in-page fake (tests/fake-tauri.ts).
const PORT = 4173;

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results/artifacts",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: "chromium",
    headless: true,
    viewport: { width: 1100, height: 720 },
    deviceScaleFactor: 1,
    locale: "en-GB",
    timezoneId: "UTC",
    trace: "off",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  webServer: {
    // `npm run preview` serves dist/ with the app's Content-Security-Policy.
    command: "npm run build && npm run preview",
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
