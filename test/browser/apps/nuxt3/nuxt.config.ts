// A minimal Nuxt 3 SPA (ssr: false, `nuxi generate`): the HTML, inline scripts, /_nuxt/ chunk
// names and builds/ metadata are what Nuxt really emits. APP_DEPLOY (set by
// scripts/build-browser-apps.mjs) changes the bundle so a second deployment has new asset names.
export default defineNuxtConfig({
  ssr: false,
  telemetry: false,
  devtools: { enabled: false },
  compatibilityDate: "2025-07-01",
  vite: { define: { __APP_DEPLOY__: JSON.stringify(process.env.APP_DEPLOY ?? "1") } },
});
