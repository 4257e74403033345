// Service worker of the scanner: keeps the page and its files on the phone so
// the scanner opens without network. The queue itself lives in IndexedDB, not
// here. API calls and uploads always go to the network, never to a cache.
"use strict";
var CACHE = "scanner-shell-v2";
var SCOPE = new URL(self.registration.scope);
var SHELL = [
  SCOPE.pathname,
  SCOPE.pathname + "manifest.webmanifest",
  "/static/app.css",
  "/static/scanner/scanner.css",
  "/static/scanner/queue.js",
  "/static/scanner/codes.js",
  "/static/scanner/scanner.js",
  "/static/scanner/icon.svg"
];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // One by one: a file missing must not keep the others out.
      return Promise.all(SHELL.map(function (path) {
        return fetch(path, { credentials: "same-origin" }).then(function (r) {
          if (r.ok && !r.redirected) return cache.put(path, r);
        }).catch(function () {});
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function cacheable(url) {
  return SHELL.indexOf(url.pathname) >= 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !cacheable(url)) return;
  // Network first, so a new version shows as soon as there is network; the
  // cached copy when there is none.
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (hit) {
        return hit || Response.error();
      });
    })
  );
});
