// Adds to the shared counter and answers with what it saw: proof the memory really is shared.
self.onmessage = function (ev) {
  var counter = new Int32Array(ev.data);
  Atomics.add(counter, 0, 41);
  Atomics.add(counter, 0, 1);
  self.postMessage(Atomics.load(counter, 0));
};
