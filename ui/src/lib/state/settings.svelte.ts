// The desktop settings (notifications, tray, start at login, the lock, theme, language and text size) and
// the passcode; Settings' read-outs of the server's endpoints and where data is kept.
import * as backend from "../backend";
import type { DataLocation } from "../bindings/DataLocation";
import type { FolderKind } from "../bindings/FolderKind";
import type { ServerEndpoints } from "../bindings/ServerEndpoints";
import type { SettingsEdit } from "../bindings/SettingsEdit";
import type { SettingsView } from "../bindings/SettingsView";
import { steppedZoom } from "../zoom";

/** The edit that keeps `view` as it is: every save sends one. Theme, language and text size are left out (unchanged) unless they are what changes. */
export function editOf(view: SettingsView): SettingsEdit {
  return {
    notifications: { ...view.notifications },
    close_to_tray: view.close_to_tray,
    start_at_login: view.start_at_login,
    lock_idle_minutes: view.lock_idle_minutes,
  };
}

export class Settings {
  /** The desktop settings, once loaded (null: not yet, or they could not be read). */
  view = $state<SettingsView | null>(null);
  /** The settings panel is open. */
  open = $state(false);

  /** Reads the desktop settings (keeps the last ones if that fails). */
  async load(): Promise<SettingsView | null> {
    try {
      this.view = await backend.getSettings();
    } catch {
      /* the settings panel shows that they could not be read */
    }
    return this.view;
  }

  /**
   * Saves the settings; rejects with an `IpcError` (the settings panel shows it).
   * A theme or language shows at once, before the core has stored it, and goes
   * back if it could not be.
   */
  async update(edit: SettingsEdit): Promise<SettingsView> {
    const before = this.view;
    if (before && (edit.theme !== undefined || edit.language !== undefined)) {
      this.view = { ...before, theme: edit.theme ?? before.theme, language: edit.language ?? before.language };
    }
    try {
      const view = await backend.updateSettings(edit);
      this.view = view;
      return view;
    } catch (error) {
      if (before && this.view) {
        this.view = { ...this.view, theme: before.theme, language: before.language };
      }
      throw error;
    }
  }

  /**
   * Makes everything in the windows a step bigger (1) or smaller (-1), or the default size (0),
   * and keeps it; rejects with an `IpcError`. Nothing happens before the settings are read.
   */
  async zoomBy(step: -1 | 0 | 1): Promise<void> {
    const view = this.view;
    if (!view) return;
    const next = steppedZoom(view.text_zoom, step);
    if (next === view.text_zoom) return;
    await this.update({ ...editOf(view), text_zoom: next });
  }

  /** Sets or changes the passcode; rejects with an `IpcError`. */
  async setPasscode(current: string | null, passcode: string): Promise<void> {
    await backend.setPasscode(current, passcode);
    await this.load();
  }

  /** Removes the passcode; rejects with an `IpcError`. */
  async removePasscode(current: string): Promise<void> {
    await backend.removePasscode(current);
    await this.load();
  }

  /** The signed-in server and every endpoint this session may use; rejects with an `IpcError`. */
  endpoints(): Promise<ServerEndpoints> {
    return backend.serverEndpoints();
  }

  /** Where data and saved files are kept; rejects with an `IpcError`. */
  dataLocation(): Promise<DataLocation> {
    return backend.dataLocation();
  }

  /** Lets the user choose where saved files go; resolves with the (maybe unchanged) location. */
  chooseDownloadFolder(): Promise<DataLocation> {
    return backend.chooseDownloadFolder();
  }

  /** Saved files go to the system's Downloads folder again. */
  resetDownloadFolder(): Promise<DataLocation> {
    return backend.resetDownloadFolder();
  }

  /** Shows the data folder or the saved-files folder in the file manager. */
  openFolder(which: FolderKind): Promise<void> {
    return backend.openFolder(which);
  }
}
