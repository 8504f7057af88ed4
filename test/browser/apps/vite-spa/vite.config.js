import { defineConfig } from "vite";

// APP_DEPLOY (set by scripts/build-browser-apps.mjs) changes the bundle, so a second deployment
// has new asset names.
export default defineConfig({
  define: { __APP_DEPLOY__: JSON.stringify(process.env.APP_DEPLOY ?? "1") },
  build: { outDir: process.env.APP_OUT_DIR ?? "dist", emptyOutDir: true },
});
