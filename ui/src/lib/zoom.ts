// The text size: how big everything in the windows is, in percent. The shell sizes every window's
// content to it (the webview's zoom: text, pictures and spacing together); Settings offers the
// steps and Ctrl/Cmd with plus, minus or zero moves between them.

/** The sizes offered: the same list as `TEXT_ZOOM_STEPS` in crates/outlast-desktop/src/settings.rs, which refuses any other. */
export const TEXT_ZOOM_STEPS: readonly number[] = [80, 90, 100, 110, 125, 150, 175, 200];
export const DEFAULT_TEXT_ZOOM = 100;

/** What each key does with Ctrl/Cmd held: a step bigger (1), smaller (-1), or back to the default (0). */
export const ZOOM_KEYS: Readonly<Record<string, -1 | 0 | 1>> = { "=": 1, "+": 1, "-": -1, _: -1, "0": 0 };

/** The size one step from `current` (the nearest step, for a size between steps), or the default for 0. */
export function steppedZoom(current: number, step: -1 | 0 | 1): number {
  if (step === 0) return DEFAULT_TEXT_ZOOM;
  if (step > 0) return TEXT_ZOOM_STEPS.find((s) => s > current) ?? TEXT_ZOOM_STEPS[TEXT_ZOOM_STEPS.length - 1];
  return [...TEXT_ZOOM_STEPS].reverse().find((s) => s < current) ?? TEXT_ZOOM_STEPS[0];
}
