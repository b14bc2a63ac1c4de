// Starts tauri-driver (which starts WebKitWebDriver) and opens a WebDriver session on the built
// app. Everything is bounded by deadlines; nothing waits a fixed time.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
export const artifacts = path.join(here, 'artifacts');

export const appBinary =
  process.env.OUTLAST_BINARY ?? path.join(repoRoot, 'target', 'debug', process.platform === 'win32' ? 'outlast.exe' : 'outlast');

function tauriDriverPath() {
  if (process.env.TAURI_DRIVER) return process.env.TAURI_DRIVER;
  const cargoHome = process.env.CARGO_HOME ?? path.join(process.env.HOME ?? '', '.cargo');
  const candidate = path.join(cargoHome, 'bin', 'tauri-driver');
  return existsSync(candidate) ? candidate : 'tauri-driver';
}

async function waitForPort(port, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port} within ${deadlineMs} ms`);
}

/**
 * `count` different free ports. Every listener stays open until all are chosen: one closed
 * first can be handed out again, and tauri-driver given the same port twice waits forever.
 */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** How long starting a session on the app may take before the test fails (instead of hanging). */
const SESSION_DEADLINE_MS = 120_000;

/** Start tauri-driver and a session on the app with the given arguments. */
export async function startApp(args = ['--mock']) {
  if (!existsSync(appBinary)) {
    throw new Error(`the app is not built: ${appBinary} is missing (run cargo build first)`);
  }
  mkdirSync(artifacts, { recursive: true });
  const [port, nativePort] = await freePorts(2);
  // A fresh profile per run: the user's settings (a passcode, say), windows and caches never
  // leak into a test, and a test never writes into them.
  const profile = mkdtempSync(path.join(os.tmpdir(), 'outlast-e2e-'));
  const driver = spawn(tauriDriverPath(), ['--port', String(port), '--native-port', String(nativePort)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(profile, 'config'),
      XDG_DATA_HOME: path.join(profile, 'data'),
      XDG_CACHE_HOME: path.join(profile, 'cache'),
    },
  });
  const driverExited = new Promise((_, reject) =>
    driver.once('exit', (code) => reject(new Error(`tauri-driver exited early with ${code}`))));
  driverExited.catch(() => {});
  let browser;
  let timer;
  try {
    await Promise.race([waitForPort(port, 20_000), driverExited]);
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no session on the app within ${SESSION_DEADLINE_MS} ms`)),
        SESSION_DEADLINE_MS,
      );
    });
    browser = await Promise.race([
      remote({
        hostname: '127.0.0.1',
        port,
        logLevel: 'warn',
        connectionRetryTimeout: 60_000,
        capabilities: {
          browserName: 'wry',
          'wdio:enforceWebDriverClassic': true,
          'tauri:options': { application: appBinary, args },
        },
      }),
      driverExited,
      deadline,
    ]);
  } catch (error) {
    driver.kill();
    rmSync(profile, { recursive: true, force: true });
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    browser,
    profile,
    async stop() {
      try { await browser.deleteSession(); } finally {
        driver.kill();
        // The profile was only this run's: leave nothing behind in the temporary folder.
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
