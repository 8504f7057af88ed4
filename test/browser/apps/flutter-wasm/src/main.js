// The bootstrap of a Flutter web (WASM renderer) build, reduced to what the edge must make work:
// read the asset-versioning manifest (always revalidated), load CanvasKit's JS and stream-compile
// its real .wasm (WebAssembly.instantiateStreaming needs Content-Type application/wasm and
// 'wasm-unsafe-eval'), and share memory with a worker through SharedArrayBuffer (needs
// crossOriginIsolated: COOP same-origin + COEP). The outcome is reported on window.__APP_RESULT__.
(function () {
  var DEPLOY = "__APP_DEPLOY__";
  var state = { deploy: DEPLOY, crossOriginIsolated: self.crossOriginIsolated === true, streaming: [], canvasKit: null, sab: null, error: null };
  window.__APP_RESULT__ = null;

  // Record every streaming instantiation (CanvasKit falls back to ArrayBuffer silently otherwise).
  var original = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = function (source, imports) {
    var entry = { ok: false };
    state.streaming.push(entry);
    return Promise.resolve(source)
      .then(function (res) {
        entry.url = res.url;
        entry.contentType = res.headers.get("content-type");
        return original.call(WebAssembly, res, imports);
      })
      .then(function (result) {
        entry.ok = result.instance instanceof WebAssembly.Instance;
        entry.exports = Object.keys(result.instance.exports).length;
        return result;
      }, function (e) {
        entry.error = String(e);
        throw e;
      });
  };

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("failed to load " + src)); };
      document.head.appendChild(s);
    });
  }

  function sharedMemory(versions) {
    // SharedArrayBuffer exists only in a cross-origin isolated document.
    var sab = new SharedArrayBuffer(8);
    var counter = new Int32Array(sab);
    var worker = new Worker(versions["sab-worker.js"]);
    return new Promise(function (resolve, reject) {
      worker.onmessage = function (ev) {
        resolve({ workerSaw: ev.data, mainSees: Atomics.load(counter, 0) });
        worker.terminate();
      };
      worker.onerror = function (e) { reject(new Error("worker: " + e.message)); };
      worker.postMessage(sab);
    });
  }

  // The gateway API (given as ?api=<origin>) called the way the app calls it: a JSON POST with a
  // bearer token (the blueprint: "bearer tokens, not cookies"), so the browser sends a CORS
  // preflight first. No ?api=: nothing is called.
  function callApi() {
    var api = new URL(location.href).searchParams.get("api");
    if (!api) return;
    state.api = null;
    return fetch(api + "/api/v1/document", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer test-token-not-a-secret" },
      body: JSON.stringify({ title: "fixture" }),
    }).then(function (res) {
      return res.json().then(function (body) {
        state.api = { status: res.status, contentType: res.headers.get("content-type"), cacheControl: res.headers.get("cache-control"), body: body };
      });
    }, function (e) { state.apiError = String(e); });
  }

  fetch("asset_versions.json", { cache: "no-cache" })
    .then(function (r) { return r.json(); })
    .then(function (versions) {
      state.versions = versions;
      return loadScript(versions["canvaskit/canvaskit.js"])
        .then(function () {
          return CanvasKitInit({ locateFile: function (file) { return versions["canvaskit/" + file]; } });
        })
        .then(function (CanvasKit) {
          var surface = CanvasKit.MakeCanvasSurface("surface");
          var canvas = surface.getCanvas();
          canvas.clear(CanvasKit.Color(12, 34, 56, 1.0));
          surface.flush();
          state.canvasKit = { surface: !!surface, color: Array.prototype.slice.call(CanvasKit.Color(12, 34, 56, 1.0)) };
          return sharedMemory(versions);
        })
        .then(function (sab) { state.sab = sab; })
        .then(callApi);
    })
    .catch(function (e) { state.error = String(e && e.stack || e); })
    .then(function () { window.__APP_RESULT__ = state; });
})();
