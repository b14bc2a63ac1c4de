// The walking skeleton, as a user does it: the app opens signed in to its embedded mock backend,
// a message typed in a chat and sent with Enter shows as sending, then as sent, and the simulated
// peer's answer appears.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { artifacts, startApp } from '../driver.mjs';

let app;
before(async () => { app = await startApp(['--mock']); });
after(async () => { await app?.stop(); });

const WAIT = { timeout: 20_000, interval: 100 };

test('type a message, see it sent, see the reply', async () => {
  const { browser } = app;
  await browser.$('[data-testid="chat-list"]').waitForDisplayed(WAIT);
  const items = await browser.$$('[data-testid="chat-item"]');
  assert.ok(items.length >= 3, `expected the demo chats, got ${items.length}`);

  await browser.$('[data-testid="chat-item"][data-chat-id="c-jun"]').click();
  await browser.waitUntil(
    async () => (await browser.$$('[data-testid="message"]')).length >= 3,
    { ...WAIT, timeoutMsg: 'the chat history did not appear' },
  );
  await browser.saveScreenshot(path.join(artifacts, '01-chat-open.png'));
  const before = (await browser.$$('[data-testid="message"]')).length;

  const text = `Hello from the end-to-end test ${Date.now()}`;
  const composer = await browser.$('[data-testid="composer"]');
  await composer.click();
  await composer.setValue(text);
  await browser.keys('Enter');

  // The state of the message carrying `text`, or null while it is not shown. The body is read as
  // its text content: WebKitWebDriver's "visible text" leaves out text in a box that clips its
  // overflow, which message bubbles do (so stacked combining marks stay inside them).
  const stateOfMine = async () => {
    for (const message of await browser.$$('[data-testid="message"][data-own="true"]')) {
      const body = await message.$('[data-testid="message-body"]');
      if ((await body.getProperty('textContent')).includes(text)) return message.getAttribute('data-state');
    }
    return null;
  };
  await browser.waitUntil(async () => (await stateOfMine()) !== null, { ...WAIT, timeoutMsg: 'the sent message never appeared' });
  await browser.waitUntil(async () => (await stateOfMine()) === 'sent', { ...WAIT, timeoutMsg: 'the message was never marked sent' });
  await browser.waitUntil(
    async () => {
      const messages = await browser.$$('[data-testid="message"]');
      if (messages.length < before + 2) return false;
      const last = messages[messages.length - 1];
      return (await last.getAttribute('data-own')) === 'false';
    },
    { ...WAIT, timeoutMsg: 'the peer never replied' },
  );
  await browser.saveScreenshot(path.join(artifacts, '02-sent-and-replied.png'));
  assert.equal(await (await browser.$('[data-testid="composer"]')).getValue(), '', 'the composer is cleared after sending');
});
