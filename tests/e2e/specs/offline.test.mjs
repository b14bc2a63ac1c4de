// An outage as a user lives it, in the real window against the embedded mock backend: the tester
// panel takes every backend service down; the chat already read is still searchable; three
// messages written meanwhile wait; when the backend comes back they are delivered, in order,
// each once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { artifacts, startApp } from '../driver.mjs';

let app;
before(async () => { app = await startApp(['--mock']); });
after(async () => { await app?.stop(); });

const WAIT = { timeout: 30_000, interval: 100 };

/** Text as its content (WebKitWebDriver's visible text leaves out clipped boxes). */
const textOf = async (element) => (await element.getProperty('textContent')) ?? '';

async function openTester(browser) {
  const button = await browser.$('[data-testid="tester-button"]');
  await button.waitForDisplayed(WAIT);
  await button.click();
  await browser.$('[data-testid="tester-panel"]').waitForDisplayed(WAIT);
}

async function closeTester(browser) {
  await browser.keys('Escape');
  await browser.$('[data-testid="tester-panel"]').waitForDisplayed({ ...WAIT, reverse: true });
}

/** The own messages whose text contains `marker`, as [text, state], in the order shown. */
async function mine(browser, marker) {
  const found = [];
  for (const message of await browser.$$('[data-testid="message"][data-own="true"]')) {
    const body = await textOf(await message.$('[data-testid="message-body"]'));
    if (body.includes(marker)) found.push([body.trim(), await message.getAttribute('data-state')]);
  }
  return found;
}

test('offline: search still works, messages wait, and go in order when the backend returns', async () => {
  const { browser } = app;
  await browser.$('[data-testid="chat-list"]').waitForDisplayed(WAIT);
  // Read a chat while online, so it is in the local cache.
  await browser.$('[data-testid="chat-item"][data-chat-id="c-jun"]').click();
  await browser.waitUntil(
    async () => (await browser.$$('[data-testid="message"]')).length >= 3,
    { ...WAIT, timeoutMsg: 'the chat history did not appear' },
  );

  // Everything down, from the tester panel.
  await openTester(browser);
  await (await browser.$('[data-testid="everything-down"]')).click();
  await browser.waitUntil(
    async () => {
      const faults = await browser.$$('[data-testid="listener-fault"]');
      if (faults.length === 0) return false;
      for (const fault of faults) if ((await textOf(fault)).trim() !== 'refuse') return false;
      return true;
    },
    { ...WAIT, timeoutMsg: 'the tester panel never showed every listener down' },
  );
  await browser.saveScreenshot(path.join(artifacts, 'offline-01-tester-everything-down.png'));
  await closeTester(browser);

  // Offline search over the cache.
  await (await browser.$('[data-testid="search-button"]')).click();
  const query = await browser.$('[data-testid="search-input"]');
  await query.waitForDisplayed(WAIT);
  await query.setValue('outage report');
  await browser.waitUntil(
    async () => {
      for (const hit of await browser.$$('[data-testid="search-hit-body"]')) {
        if ((await textOf(hit)).includes('outage report')) return true;
      }
      return false;
    },
    { ...WAIT, timeoutMsg: 'the search never found the cached message offline' },
  );
  await browser.saveScreenshot(path.join(artifacts, 'offline-02-search.png'));
  await browser.keys('Escape');

  // Three messages written during the outage wait.
  const marker = `offline ${Date.now()}`;
  const composer = await browser.$('[data-testid="composer"]');
  for (const n of [1, 2, 3]) {
    await composer.click();
    await composer.setValue(`${marker} #${n}`);
    await browser.keys('Enter');
  }
  await browser.waitUntil(
    async () => (await mine(browser, marker)).length === 3,
    { ...WAIT, timeoutMsg: 'the three messages were not all shown' },
  );
  for (const [, state] of await mine(browser, marker)) assert.equal(state, 'pending');
  await browser.saveScreenshot(path.join(artifacts, 'offline-03-waiting.png'));

  // The backend returns: delivered, in the order written, each once.
  await openTester(browser);
  await (await browser.$('[data-testid="everything-up"]')).click();
  await closeTester(browser);
  await browser.waitUntil(
    async () => (await mine(browser, marker)).every(([, state]) => state === 'sent'),
    { ...WAIT, timeout: 60_000, timeoutMsg: 'the messages were not delivered after the backend returned' },
  );
  assert.deepEqual(
    (await mine(browser, marker)).map(([text]) => text),
    [1, 2, 3].map((n) => `${marker} #${n}`),
  );
  await browser.saveScreenshot(path.join(artifacts, 'offline-04-delivered.png'));
});
