// A minimal Vite SPA: calls its API (same origin by default, or ?api=<origin>) and reports the
// answer on window.__APP_RESULT__ for test/browser. __APP_DEPLOY__ comes from vite.config.js.
import "./style.css";

const deploy = __APP_DEPLOY__;
const root = document.querySelector("#app");
root.innerHTML = `<h1>vite fixture (deploy ${deploy})</h1><p id="answer">pending</p>`;

async function main() {
  const api = new URL(window.location.href).searchParams.get("api") ?? "";
  const state = { deploy, booted: true, api: null, error: null };
  try {
    const { itemsPath } = await import("./routes.js"); // a lazily loaded chunk, as real apps have
    const res = await fetch(`${api}${itemsPath}`, { headers: { accept: "application/json" } });
    state.api = { status: res.status, contentType: res.headers.get("content-type"), body: await res.json() };
    root.querySelector("#answer").textContent = JSON.stringify(state.api.body);
  } catch (e) {
    state.error = String(e);
  }
  window.__APP_RESULT__ = state;
}
main();
