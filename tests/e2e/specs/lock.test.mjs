// The lock in the real app: a passcode set in Settings, "Lock now" hides every chat and message
// (the webview holds no content while locked), a wrong passcode is refused, the right one brings
// the chats back. Only an Argon2 verifier of the passcode is written to the settings file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { artifacts, startApp } from '../driver.mjs';

let app;
before(async () => { app = await startApp(['--mock']); });
after(async () => { await app?.stop(); });

const WAIT = { timeout: 20_000, interval: 100 };
const PASSCODE = '2468-e2e';

test('lock hides every chat and the passcode brings them back', async () => {
  const { browser } = app;
  await browser.$('[data-testid="chat-item"][data-chat-id="c-team"]').waitForDisplayed(WAIT);
  await browser.$('[data-testid="chat-item"][data-chat-id="c-jun"]').click();
  await browser.waitUntil(async () => (await browser.$$('[data-testid="message"]')).length >= 3, WAIT);

  await browser.$('[data-testid="settings-button"]').click();
  const settings = browser.$('[data-testid="settings"]');
  await settings.waitForDisplayed(WAIT);
  await browser.$('[data-testid="new-passcode"]').setValue(PASSCODE);
  await browser.$('[data-testid="confirm-passcode"]').setValue(PASSCODE);
  await settings.$('button.primary').click();
  const lockNow = settings.$('button=Lock now');
  await browser.waitUntil(async () => lockNow.isEnabled(), { ...WAIT, timeoutMsg: 'the passcode was never set' });
  await lockNow.click();

  await browser.$('[data-testid="lock-screen"]').waitForDisplayed(WAIT);
  const page = async () => browser.execute(() => document.body.textContent ?? '');
  const shown = await page();
  for (const content of ['Outlast team', 'Jun Park', 'Did you see the outage report?']) {
    assert.ok(!shown.includes(content), `"${content}" is still in the page while locked`);
  }
  assert.equal((await browser.$$('[data-testid="chat-item"]')).length, 0);
  await browser.saveScreenshot(path.join(artifacts, 'lock-01-locked.png'));

  const settingsFile = readFileSync(path.join(app.profile, 'config', 'app.outlast.desktop', 'settings.json'), 'utf8');
  assert.ok(settingsFile.includes('$argon2id$'), 'an Argon2id verifier is stored');
  assert.ok(!settingsFile.includes(PASSCODE), 'the passcode itself is not stored');

  await browser.$('[data-testid="passcode"]').setValue('0000');
  await browser.$('[data-testid="unlock-button"]').click();
  await browser.$('[data-testid="unlock-error"]').waitForDisplayed(WAIT);

  await browser.$('[data-testid="passcode"]').setValue(PASSCODE);
  await browser.$('[data-testid="unlock-button"]').click();
  await browser.$('[data-testid="chat-item"][data-chat-id="c-team"]').waitForDisplayed(WAIT);
  await browser.waitUntil(async () => (await browser.$$('[data-testid="message"]')).length >= 3, {
    ...WAIT, timeoutMsg: 'the open chat did not come back after unlocking',
  });
  await browser.saveScreenshot(path.join(artifacts, 'lock-02-unlocked.png'));
});
