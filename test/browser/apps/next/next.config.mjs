// A minimal Next.js App Router app, built by `next build` (scripts/build-browser-apps.mjs) as the
// music platform's `web` image would be: `output: "standalone"` is the self-contained server
// (server.js + the traced node_modules) that the image runs; `.next/static` is what the edge
// serves from its bucket under /_next/static/*. APP_DEPLOY changes the client bundle, so a second
// deployment has new hashed asset names.
export default {
  output: "standalone",
  poweredByHeader: false,
  env: { NEXT_PUBLIC_APP_DEPLOY: process.env.APP_DEPLOY ?? "1" },
  // The fixture lives inside another project: trace files from this directory only.
  outputFileTracingRoot: import.meta.dirname,
  turbopack: { root: import.meta.dirname },
};
