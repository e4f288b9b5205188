/* The field app's service worker (scope /field/): keeps the app shell and its static files so
 * the app opens with no signal. The JSON API is never cached here: what the worker enters waits
 * in the page's IndexedDB outbox, and the reads the page keeps are in IndexedDB too. */
const SHELL = "gridgov-field-shell-v1";

self.addEventListener("install", () => {
  // The page fills the cache (shell and static files) once this worker is registered, one
  // request at a time like its other calls.
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("gridgov-field-") && n !== SHELL).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (req.mode === "navigate" && url.pathname === new URL(self.registration.scope).pathname) {
    // The shell: the network first (fresh CSRF token and user), the kept copy with no signal.
    event.respondWith(
      fetch(req)
        .then((res) => {
          if (res.ok) { const copy = res.clone(); caches.open(SHELL).then((c) => c.put(self.registration.scope, copy)); }
          return res;
        })
        .catch(() => caches.match(self.registration.scope)),
    );
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Static files change name or content only with a release: the kept copy first.
    event.respondWith(
      caches.match(req).then((hit) => hit || fetch(req).then((res) => {
        if (res.ok) { const copy = res.clone(); caches.open(SHELL).then((c) => c.put(req, copy)); }
        return res;
      })),
    );
  }
});
