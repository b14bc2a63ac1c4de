// The desktop settings (notifications, tray, start at login, the lock, theme and language) and
// the passcode; Settings' read-outs of the server's endpoints and where data is kept.
import * as backend from "../backend";
import type { DataLocation } from "../bindings/DataLocation";
import type { FolderKind } from "../bindings/FolderKind";
import type { ServerEndpoints } from "../bindings/ServerEndpoints";
import type { SettingsEdit } from "../bindings/SettingsEdit";
import type { SettingsView } from "../bindings/SettingsView";

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
