// Copying text to the system clipboard from a user's action (a menu item).

/** Puts `text` on the clipboard; rejects with an Error saying why not. */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      /* a webview without the asynchronous clipboard: the selection way below */
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  const focused = document.activeElement as HTMLElement | null;
  try {
    area.select();
    if (!document.execCommand("copy")) throw new Error("the clipboard is not available");
  } finally {
    area.remove();
    focused?.focus({ preventScroll: true });
  }
}
