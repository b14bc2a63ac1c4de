// The keyboard in a chat's history: one message is in the tab order (the newest, or the one last
// reached), Up/Down/Home/End move the focus between messages (drawing one the virtual list has
// not drawn yet), and each message's menu (MessageMenu) opens there or at the pointer and gives
// the focus back when it closes.
import { tick } from "svelte";
import type { MenuItem } from "../components/MessageMenu.svelte";

export type OpenMenu = { key: string; x: number; y: number; items: MenuItem[] };

export class HistoryKeys {
  /** The message reached last (null: none yet, the newest is the tab stop). */
  focusKey = $state<string | null>(null);
  /** The open menu, and whose it is. */
  menu = $state<OpenMenu | null>(null);
  /** The tab stop: the message reached last while it is still there, else the newest. */
  tabKey = $derived.by(() => {
    const keys = this.#keys();
    return this.focusKey !== null && keys.includes(this.focusKey) ? this.focusKey : (keys.at(-1) ?? null);
  });

  #keys: () => string[];
  #reveal: (key: string) => void;
  #root: () => HTMLElement | undefined;

  /**
   * `keys`: the history's message rows' keys, oldest first; `reveal`: draws a row and scrolls it
   * into view if it is not; `root`: the element the messages are in.
   */
  constructor(keys: () => string[], reveal: (key: string) => void, root: () => HTMLElement | undefined) {
    this.#keys = keys;
    this.#reveal = reveal;
    this.#root = root;
  }

  /** Another chat: nothing reached, no menu. */
  reset(): void {
    this.focusKey = null;
    this.menu = null;
  }

  #element(key: string): HTMLElement | null {
    return this.#root()?.querySelector<HTMLElement>(`[data-testid="message"][data-key="${CSS.escape(key)}"]`) ?? null;
  }

  /** Moves the focus to message `key`, drawing and scrolling to it first if it is not in view. */
  async focus(key: string): Promise<void> {
    this.focusKey = key;
    this.#reveal(key);
    await tick();
    this.#element(key)?.focus({ preventScroll: true });
  }

  /** A key on a focused message: the arrows, Home and End move between messages. */
  onkeydown(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    if (target.dataset.testid !== "message" || event.altKey || event.ctrlKey || event.metaKey) return;
    const keys = this.#keys();
    const at = keys.indexOf(target.dataset.key ?? "");
    if (at < 0) return;
    const next = ({ ArrowUp: at - 1, ArrowDown: at + 1, Home: 0, End: keys.length - 1 } as Record<string, number>)[event.key];
    if (next === undefined) return;
    event.preventDefault();
    void this.focus(keys[Math.max(0, Math.min(keys.length - 1, next))]);
  }

  /** A message got the focus (a click, a Tab): it is the tab stop from now on. */
  onfocusin(event: FocusEvent): void {
    const target = event.target as HTMLElement;
    if (target.dataset.testid === "message" && target.dataset.key) this.focusKey = target.dataset.key;
  }

  closeMenu(restoreFocus: boolean): void {
    const key = this.menu?.key;
    this.menu = null;
    if (restoreFocus && key) this.#element(key)?.focus({ preventScroll: true });
  }
}
