/* Jejak's service worker (rendered by visits.views.service_worker; see docs/visitor-app.md).
   The app shell is stored at install; visitor pages are network-first and a copy of the
   last good answer is kept, so a phone without a connection still shows the last known
   status and history, under a banner saying so. The API is never touched: check-ins made
   offline are queued by the page itself (visits.js), which owns their nonces. */
"use strict";
var CONFIG = {{ config_json|safe }};
var SHELL = "jejak-shell-" + CONFIG.version;
var PAGES = "jejak-pages";
var MAX_PAGES = 30;
// Only these pages are kept: never the profile or family forms, which hold whole NIKs.
var KEEP = /^\/(saya\/(status|riwayat|pindai|check-in\/[0-9a-f-]+)\/|saya\/|q\/[^/]+\/?)$/;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(CONFIG.shell); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("jejak-shell-") === 0 && name !== SHELL;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function stamp(response) {
  // A copy with the moment it was stored, for the offline banner.
  return response.clone().blob().then(function (body) {
    var headers = new Headers(response.headers);
    headers.set("X-Jejak-Saved-At", new Date().toISOString());
    return new Response(body, {status: response.status, statusText: response.statusText, headers: headers});
  });
}

function keep(request, response) {
  return stamp(response).then(function (copy) {
    return caches.open(PAGES).then(function (cache) {
      return cache.put(request.url, copy).then(function () { return cache.keys(); })
        .then(function (keys) {
          return Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_PAGES))
            .map(function (key) { return cache.delete(key); }));
        });
    });
  });
}

function withBanner(response) {
  var saved = response.headers.get("X-Jejak-Saved-At");
  return response.text().then(function (html) {
    var when = saved ? new Date(saved).toLocaleString(CONFIG.lang, {
      timeZone: "Asia/Jakarta", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
    }) : "";
    var banner = '<p class="visit-offline visit-offline-saved" role="alert">' + CONFIG.banner +
      (when ? " " + CONFIG.savedAt.replace("%s", when) : "") + "</p>";
    var at = html.search(/<main[^>]*>/);
    if (at >= 0) {
      var end = html.indexOf(">", at) + 1;
      html = html.slice(0, end) + banner + html.slice(end);
    }
    return new Response(html, {status: 200, headers: {"Content-Type": "text/html; charset=utf-8"}});
  });
}

function page(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && !response.redirected &&
        KEEP.test(new URL(request.url).pathname)) {
      event.waitUntil(keep(request, response.clone()));
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(request.url); })
      .then(function (stored) {
        if (stored) { return withBanner(stored); }
        return caches.match(CONFIG.offline);
      })
      .then(function (response) { return response || Response.error(); });
  });
}

function asset(event) {
  // Stale while revalidate: instant on a slow connection, fresh on the next load.
  var request = event.request;
  return caches.match(request).then(function (stored) {
    var fresh = fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.put(request, copy); }));
      }
      return response;
    });
    if (stored) {
      event.waitUntil(fresh.catch(function () { return null; }));
      return stored;
    }
    return fresh;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && url.pathname === CONFIG.logout) {
    // Signing out forgets every stored page: the next person on this phone sees none.
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") { return; }
  // The visitor's pages (the offline page stands in for those never stored); staff pages
  // are left to the network.
  if (request.mode === "navigate" && /^\/(saya|q)\//.test(url.pathname)) {
    event.respondWith(page(event));
  } else if (url.pathname.indexOf(CONFIG.staticUrl) === 0) {
    event.respondWith(asset(event));
  }
});
