// A chat in its own window, as PC messenger users work: the chat opens beside the main window; a message written there is sent by the one core both windows
// share, and the main window shows the same message, in the same state, at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp } from '../driver.mjs';

let app;
before(async () => { app = await startApp(['--mock']); });
after(async () => { await app?.stop(); });

const WAIT = { timeout: 20_000, interval: 100 };
// No screenshots here: WebKitWebDriver does not answer a screenshot request once a second
// window exists (the request times out), so this spec checks what it sees through the DOM.

/** The state of the own message carrying `text` in the current window, or null when not shown. */
async function stateOf(browser, text) {
  for (const message of await browser.$$('[data-testid="message"][data-own="true"]')) {
    const body = await message.$('[data-testid="message-body"]');
    if ((await body.getProperty('textContent')).includes(text)) return message.getAttribute('data-state');
  }
  return null;
}

test('a chat opened in its own window sends through the shared core, and the main window agrees', async () => {
  const { browser } = app;
  await browser.$('[data-testid="chat-list"]').waitForDisplayed(WAIT);
  const main = await browser.getWindowHandle();
  const item = await browser.$('[data-testid="chat-item"][data-chat-id="c-team"]');
  await item.waitForDisplayed(WAIT);
  const title = (await item.getAttribute('aria-label')).split(',')[0];
  // The chat's header button (a double-click in the list does the same; WebDriver's synthetic
  // double-click is not reliably seen as one by WebKitGTK under load).
  await item.click();
  const openWindow = await browser.$('button[aria-label="Open in new window"]');
  await openWindow.waitForClickable(WAIT);
  await openWindow.click();

  await browser.waitUntil(async () => (await browser.getWindowHandles()).length === 2, {
    ...WAIT,
    timeoutMsg: 'no second window opened',
  });
  const chatWindow = (await browser.getWindowHandles()).find((h) => h !== main);
  await browser.switchToWindow(chatWindow);
  await browser.waitUntil(async () => (await browser.$$('[data-testid="message"]')).length >= 1, {
    ...WAIT,
    timeoutMsg: 'the chat window shows no history',
  });
  // The window shows only its chat: no chat list, titled after the chat.
  assert.equal((await browser.$$('[data-testid="chat-list"]')).length, 0, 'a chat window has no chat list');
  await browser.waitUntil(async () => (await browser.getTitle()) === title, {
    ...WAIT,
    timeoutMsg: `the window title never became ${title}`,
  });

  const text = `From the chat window ${Date.now()}`;
  const composer = await browser.$('[data-testid="composer"]');
  await composer.click();
  await composer.setValue(text);
  await browser.keys('Enter');
  await browser.waitUntil(async () => (await stateOf(browser, text)) === 'sent', {
    ...WAIT,
    timeoutMsg: 'the message from the chat window was never sent',
  });

  // The main window: the same chat shows the same message, sent, without a reload.
  await browser.switchToWindow(main);
  await browser.$('[data-testid="chat-item"][data-chat-id="c-team"]').click();
  await browser.waitUntil(async () => (await stateOf(browser, text)) === 'sent', {
    ...WAIT,
    timeoutMsg: 'the main window does not show the message sent from the chat window',
  });
  // The demo's peers keep writing in this chat: the list previews whatever is newest, which is
  // the last message of the history on screen.
  await browser.waitUntil(
    async () => {
      const bodies = await browser.$$('[data-testid="message-body"]');
      if (bodies.length === 0) return false;
      const last = (await bodies[bodies.length - 1].getProperty('textContent')).trim();
      const preview = await browser.$('[data-testid="chat-item"][data-chat-id="c-team"]').getProperty('textContent');
      return preview.includes(last.slice(0, 30));
    },
    { ...WAIT, timeoutMsg: 'the chat list does not preview the newest message of the chat' },
  );
});
