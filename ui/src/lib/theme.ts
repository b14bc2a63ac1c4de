// Light, dark, or whatever the system uses. The theme is an attribute on
// <html> (data-theme="light" | "dark") that app.css keys its colours on;
// public/boot.js sets it from the last choice before the first paint.
import type { Theme } from "./bindings/Theme";

/** Where the last choice is kept (public/boot.js reads the same key). */
export const THEME_KEY = "outlast.theme";

const CHOICES: readonly Theme[] = ["system", "light", "dark"];

const systemDark = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;

function storedChoice(): Theme {
  try {
    const hint = localStorage.getItem(THEME_KEY);
    if (hint && (CHOICES as readonly string[]).includes(hint)) return hint as Theme;
  } catch {
    /* storage unavailable: the settings say soon enough */
  }
  return "system";
}

let choice: Theme = storedChoice();

function apply(): void {
  const root = document.documentElement;
  const resolved = choice === "system" ? (systemDark?.matches ? "dark" : "light") : choice;
  root.dataset.theme = resolved;
  root.dataset.themeChoice = choice;
}

if (typeof document !== "undefined") {
  apply();
  // "System" follows the system as it changes (e.g. dark mode at sunset).
  systemDark?.addEventListener("change", () => {
    if (choice === "system") apply();
  });
}

/** Shows the chosen theme from now on (and from the first paint of the next start). */
export function chooseTheme(next: Theme): void {
  choice = next;
  apply();
  try {
    localStorage.setItem(THEME_KEY, next);
  } catch {
    /* only a hint for the next start */
  }
}
