// The UI's own words, in English and Korean. Text that comes from the core
// (its error messages, why the connection is waiting, failure reasons) and
// from other people is shown as it comes and never passes through here.
import type { Language } from "./bindings/Language";
import { en, type Messages } from "./i18n-en";
import { ko } from "./i18n-ko";

export type { Messages };

/** A language the UI is written in. */
export type Locale = "en" | "ko";

export const CATALOGUES: Record<Locale, Messages> = { en, ko };

/** How each language names itself (the same whatever language the UI is in). */
export const LANGUAGE_NAMES: Record<Locale, string> = { en: "English", ko: "한국어" };

/** The UI's language for a choice: "system" is Korean for a Korean system, English otherwise. */
export function resolveLanguage(choice: Language, systemLanguages: readonly string[]): Locale {
  if (choice === "english") return "en";
  if (choice === "korean") return "ko";
  return /^ko(-|$)/i.test(systemLanguages[0] ?? "") ? "ko" : "en";
}

/**
 * The locale dates and numbers are written in: the system's own when it is a
 * variant of the UI's language (en-GB keeps its 24-hour clock), else the
 * language's usual one, so the dates read like the words around them.
 */
export function intlLocale(locale: Locale, systemLanguages: readonly string[]): string {
  const own = systemLanguages.find((tag) => new RegExp(`^${locale}(-|$)`, "i").test(tag));
  return own ?? (locale === "ko" ? "ko-KR" : "en");
}
