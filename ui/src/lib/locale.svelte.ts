// The language the UI speaks right now. Components read `i18n.t` in their
// markup, so a change of language redraws every word at once, without a reload.
import type { Language } from "./bindings/Language";
import { CATALOGUES, LANGUAGE_NAMES, intlLocale, resolveLanguage, type Locale, type Messages } from "./i18n";

/** Where the last choice is kept, so the next start speaks it before the settings are read. */
export const LANGUAGE_KEY = "outlast.language";

const CHOICES: readonly Language[] = ["system", "english", "korean"];

function systemLanguages(): string[] {
  if (typeof navigator === "undefined") return [];
  return [navigator.language, ...(navigator.languages ?? [])].filter(Boolean);
}

function storedChoice(): Language {
  try {
    const hint = localStorage.getItem(LANGUAGE_KEY);
    if (hint && (CHOICES as readonly string[]).includes(hint)) return hint as Language;
  } catch {
    /* storage unavailable: the settings say soon enough */
  }
  return "system";
}

class I18n {
  /** What the user chose (or the hint from last time, until the settings are read). */
  choice = $state<Language>(storedChoice());
  /** The system's languages; the browser says when they change. */
  #system = $state<string[]>(systemLanguages());

  locale: Locale = $derived(resolveLanguage(this.choice, this.#system));
  /** The words of the current language. */
  t: Messages = $derived(CATALOGUES[this.locale]);
  /** The BCP 47 tag for Intl (dates, times, numbers). */
  intl: string = $derived(intlLocale(this.locale, this.#system));
  /** The language "System" stands for now, in its own words ("English", "한국어"). */
  systemName: string = $derived(LANGUAGE_NAMES[resolveLanguage("system", this.#system)]);

  constructor() {
    if (typeof window === "undefined") return;
    window.addEventListener("languagechange", () => (this.#system = systemLanguages()));
    // <html lang> follows, so screen readers pronounce the words right and fonts pick the right glyphs.
    $effect.root(() => {
      $effect(() => {
        document.documentElement.lang = this.locale;
      });
    });
  }

  /** Speaks the chosen language from now on (and at the next start). */
  choose(choice: Language): void {
    this.choice = choice;
    try {
      localStorage.setItem(LANGUAGE_KEY, choice);
    } catch {
      /* only a hint for the next start */
    }
  }
}

export const i18n = new I18n();
