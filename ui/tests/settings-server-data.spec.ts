// Settings → Server (the endpoints in use, region by region) and Data and files (where
// Outlast keeps data, the space it takes, and the folder saved files go to).
import { callsOf, expect, screenshots, test, type Page } from "./fixtures";

const shot = screenshots("test-results/screenshots");
const settingsDialog = (page: Page) => page.getByRole("dialog", { name: "Settings" });

async function openSettings(page: Page) {
  await page.getByRole("button", { name: "Settings" }).click();
  await expect(settingsDialog(page)).toBeVisible();
}

test("the server section lists every endpoint by region and marks the one in use", async ({ app: page }) => {
  await page.evaluate(() =>
    window.__fake.setConnection({
      state: "connected",
      endpoint: "ws://127.0.0.1:7722/gateway",
      region: "b",
      transport: "gateway",
      session_id: "s-1",
      preferred_region: false,
    }),
  );
  await openSettings(page);
  const server = settingsDialog(page).getByTestId("server-settings");
  await expect(server.getByRole("heading", { name: "Server" })).toBeVisible();
  await expect(server.getByTestId("server-address")).toHaveText("http://127.0.0.1:7710");
  await expect(server.getByTestId("endpoint-region")).toHaveCount(2);
  await expect(server.getByRole("list", { name: "Region a" }).getByTestId("endpoint")).toHaveCount(5);
  const inUse = server.getByTestId("endpoint").filter({ hasText: "in use" });
  await expect(inUse).toHaveCount(1);
  await expect(inUse).toContainText("ws://127.0.0.1:7722/gateway");
  await expect(inUse).toContainText("Gateway");
  await expect(server.getByTestId("endpoints-source")).toHaveCount(0);
  await expect(server.getByText("To use another server, sign out and sign in with its address.")).toBeVisible();
  await server.scrollIntoViewIfNeeded();
  await shot(page, "settings-server");
});

test("an endpoint list that can't be read says why and can be read again", async ({ app: page }) => {
  await page.evaluate(() =>
    window.__fake.failNext("server_endpoints", { code: "locked", message: "Outlast is locked", retryable: false }),
  );
  await openSettings(page);
  const server = settingsDialog(page).getByTestId("server-settings");
  await expect(server.getByRole("alert")).toHaveText(/Couldn't read the server's endpoints: Outlast is locked/);
  await server.getByRole("button", { name: "Try again" }).click();
  await expect(server.getByTestId("endpoint")).toHaveCount(10);
});

test("data and files: the data folder and its size, a chosen folder for saved files and back to Downloads", async ({
  app: page,
}) => {
  await openSettings(page);
  const data = settingsDialog(page).getByTestId("data-settings");
  await expect(data.getByTestId("data-folder")).toHaveText("/home/me/.local/share/app.outlast.desktop");
  await expect(data.getByTestId("data-used")).toContainText("46 MB");
  await expect(data.getByTestId("download-folder")).toHaveText("/home/me/Downloads");
  await expect(data.getByText("Files you save from chats go to your Downloads folder.")).toBeVisible();
  await expect(data.getByRole("button", { name: "Use Downloads" })).toHaveCount(0);

  // Cancelling the chooser changes nothing.
  await data.getByRole("button", { name: "Change…" }).click();
  await expect(data.getByTestId("download-folder")).toHaveText("/home/me/Downloads");

  await page.evaluate(() => window.__fake.setPickedFolder("/mnt/shared/Outlast files"));
  await data.getByRole("button", { name: "Change…" }).click();
  await expect(data.getByTestId("download-folder")).toHaveText("/mnt/shared/Outlast files");
  await expect(data.getByText("Files you save from chats go here.")).toBeVisible();
  await data.scrollIntoViewIfNeeded();
  await shot(page, "settings-data");

  await data.getByRole("button", { name: "Open folder" }).last().click();
  await data.getByRole("button", { name: "Open folder" }).first().click();
  await expect.poll(() => callsOf(page, "open_folder")).toEqual([{ which: "downloads" }, { which: "data" }]);

  await data.getByRole("button", { name: "Use Downloads" }).click();
  await expect(data.getByTestId("download-folder")).toHaveText("/home/me/Downloads");
  await expect(data.getByRole("button", { name: "Use Downloads" })).toHaveCount(0);
});

test("a folder that can't be opened says why", async ({ app: page }) => {
  await openSettings(page);
  const data = settingsDialog(page).getByTestId("data-settings");
  await expect(data.getByTestId("data-folder")).toBeVisible();
  await page.evaluate(() =>
    window.__fake.failNext("open_folder", {
      code: "invalid_input",
      message: "no file manager could be started (xdg-open: not found)",
      retryable: false,
    }),
  );
  await data.getByRole("button", { name: "Open folder" }).first().click();
  await expect(data.getByRole("alert")).toHaveText("Couldn't do that: no file manager could be started (xdg-open: not found)");
  await expect(data.getByTestId("data-folder")).toBeVisible();
});
