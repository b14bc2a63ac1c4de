// The text size in the real window: chosen in Settings, the shell zooms the webview's content
// (the page's CSS width shrinks by the same factor, so text, pictures and spacing all grow and
// the layout reflows), it is kept in the settings file, and Ctrl+0 brings the default back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { artifacts, startApp } from '../driver.mjs';

let app;
before(async () => { app = await startApp(['--mock']); });
after(async () => { await app?.stop(); });

const WAIT = { timeout: 20_000, interval: 100 };

test('a text size chosen in Settings zooms the window and is kept; Ctrl+0 restores it', async () => {
  const { browser } = app;
  await browser.$('[data-testid="chat-item"][data-chat-id="c-team"]').waitForDisplayed(WAIT);
  const width = () => browser.execute(() => window.innerWidth);
  const normal = await width();

  await browser.$('[data-testid="settings-button"]').click();
  await browser.$('[data-testid="settings"]').waitForDisplayed(WAIT);
  await browser.$('[data-testid="text-size-choice"]').selectByAttribute('value', '125');
  await browser.waitUntil(async () => Math.abs((await width()) - normal / 1.25) <= 2, {
    ...WAIT, timeoutMsg: `the page is not zoomed to 125% (width ${normal} CSS px at 100%)`,
  });
  await browser.saveScreenshot(path.join(artifacts, 'text-size-01-125.png'));
  const settingsFile = path.join(app.profile, 'config', 'app.outlast.desktop', 'settings.json');
  await browser.waitUntil(async () => JSON.parse(readFileSync(settingsFile, 'utf8')).text_zoom === 125, {
    ...WAIT, timeoutMsg: 'the text size was not kept in the settings file',
  });

  await browser.keys('Escape');
  await browser.keys(['Control', '0']);
  await browser.waitUntil(async () => Math.abs((await width()) - normal) <= 1, {
    ...WAIT, timeoutMsg: 'Ctrl+0 did not bring the default size back',
  });
  await browser.waitUntil(async () => JSON.parse(readFileSync(settingsFile, 'utf8')).text_zoom === 100, WAIT);
  assert.equal(await width(), normal);
});
