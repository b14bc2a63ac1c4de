import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The same policy the Tauri window enforces; `vite preview` (used by the UI
// tests) serves it too, so a build that needs inline scripts fails the tests.
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

export default defineConfig({
  plugins: [svelte()],
  // Keep Rust/Tauri output visible in the terminal when run by `tauri dev`.
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    host: "127.0.0.1",
  },
  preview: {
    port: 4173,
    strictPort: true,
    host: "127.0.0.1",
    headers: { "Content-Security-Policy": CSP },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
});
