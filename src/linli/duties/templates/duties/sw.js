/* The service worker of the duties pages, served at /duties/sw.js: its scope is
 * /duties/ and it never sees a page outside it.
 *
 * - GET navigations under /duties/: network first; the last good answer for
 *   /duties/ itself is kept, so the page opens without a signal.
 * - GET /static/ assets requested by a page it controls: cache first (the cache
 *   is named after the content of the assets, so a release replaces it).
 * - Everything else (every POST, the API, other paths) goes to the network as
 *   if there were no service worker.
 */
"use strict";

const VERSION = "{{ version }}";
const CACHE = "linli-duties-" + VERSION;
const PAGE = "/duties/";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((k) => k.startsWith("linli-duties-") && k !== CACHE)
            .map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function isPage(url) {
  return url.origin === self.location.origin && url.pathname === PAGE && !url.search;
}

async function keepPage(request, response) {
  // Only a real answer for the page: not a redirect to the login page.
  if (response.ok && !response.redirected && response.type === "basic") {
    const cache = await caches.open(CACHE);
    await cache.put(PAGE, response.clone());
  } else if (response.redirected || response.status === 403 || response.status === 404) {
    // Logged out or no longer a representative: forget the page kept for offline use.
    const cache = await caches.open(CACHE);
    await cache.delete(PAGE);
  }
  return response;
}

async function networkFirst(request) {
  const url = new URL(request.url);
  try {
    const response = await fetch(request);
    return isPage(url) ? keepPage(request, response) : response;
  } catch (err) {
    if (isPage(url)) {
      const cached = await caches.match(PAGE, { cacheName: CACHE });
      if (cached) return cached;
    }
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: false });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // never POSTs
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith(PAGE)) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/static/") && event.clientId) {
    event.respondWith(cacheFirst(request));
  }
});

// The page asks, once controlled, to keep itself and the assets it loaded, so that
// it opens offline even if it was controlled only after it had loaded.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep") return;
  const urls = (data.assets || []).filter((u) => {
    const url = new URL(u, self.location.origin);
    return url.origin === self.location.origin && url.pathname.startsWith("/static/");
  });
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await Promise.all(
        urls.map(async (u) => {
          if (await cache.match(u)) return;
          try {
            const response = await fetch(u, { credentials: "same-origin" });
            if (response.ok) await cache.put(u, response);
          } catch (err) {
            /* offline: kept on the next visit */
          }
        }),
      );
      if (data.page) {
        try {
          await keepPage(PAGE, await fetch(PAGE, { credentials: "same-origin" }));
        } catch (err) {
          /* offline */
        }
      }
      if (event.ports && event.ports[0]) event.ports[0].postMessage("kept");
    })(),
  );
});
