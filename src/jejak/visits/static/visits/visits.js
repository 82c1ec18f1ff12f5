/* The visitor's app on every visits page: service worker registration, the offline
   banner, the confirmation form (POST /api/v1/checkins with a nonce made here), the queue
   of check-ins made offline (localStorage, sent when the connection returns) and the
   result screen's live clock. Strings come translated from #visit-app's data-t-* attributes. */
(function () {
  "use strict";
  var app = document.getElementById("visit-app");
  if (!app) { return; }
  var KEY = "jejak.visits.queue";
  var PLACEHOLDER = "00000000-0000-4000-8000-000000000000";
  var owner = app.getAttribute("data-owner") || "";
  var lang = document.documentElement.lang || "id";
  function t(name) { return app.getAttribute("data-t-" + name) || ""; }

  if ("serviceWorker" in navigator && app.getAttribute("data-sw")) {
    // A failed registration or update is quiet: the worker installed before (if any)
    // keeps serving, and the page works online without one. data-sw-update says how
    // the last update check ended (for support, and for the tests).
    navigator.serviceWorker.register(app.getAttribute("data-sw"), {scope: "/"})
      .then(function (registration) {
        function update() {
          return registration.update().then(function () {
            app.setAttribute("data-sw-update", "done");
          }, function () {
            app.setAttribute("data-sw-update", "failed");
          });
        }
        // Back online after a day in the field: the check that failed offline runs again.
        window.addEventListener("online", update);
      })
      .catch(function () { app.setAttribute("data-sw-update", "failed"); });
  }

  // --- the offline banner -------------------------------------------------------------
  var banner = document.getElementById("visit-offline");
  function showConnection() { if (banner) { banner.hidden = navigator.onLine; } }
  window.addEventListener("offline", showConnection);
  window.addEventListener("online", showConnection);
  // A page restored from the back/forward cache or left open in the background missed
  // the events: look again when it is shown.
  window.addEventListener("pageshow", showConnection);
  document.addEventListener("visibilitychange", showConnection);
  showConnection();

  // --- helpers ----------------------------------------------------------------------
  function newNonce() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") { return c.randomUUID(); }
    // Outside a secure context randomUUID is missing; getRandomValues is not.
    var bytes = new Uint8Array(16);
    if (c && c.getRandomValues) {
      c.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function csrfToken() {
    // The cookie, not the page: a page served from the phone's cache may hold an old token.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function resultUrl(nonce) { return app.getAttribute("data-result").replace(PLACEHOLDER, nonce); }

  function signInUrl() {
    return app.getAttribute("data-login") + "?next=" + encodeURIComponent(location.pathname);
  }

  function load() {
    try {
      var items = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) { return []; }
  }
  function save(items) {
    try { window.localStorage.setItem(KEY, JSON.stringify(items)); } catch (e) { /* full or private mode */ }
  }
  function enqueue(item) {
    var items = load().filter(function (i) { return i.nonce !== item.nonce; });
    items.push(item);
    save(items);
  }
  function remove(nonce) { save(load().filter(function (i) { return i.nonce !== nonce; })); }

  function post(item) {
    var body = {qr: item.qr, nonce: item.nonce, people: item.people, visitor_type: item.visitor_type};
    if (item.scanned_at) { body.scanned_at = item.scanned_at; }
    return fetch(app.getAttribute("data-api"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {status: response.status, data: data};
      });
    });
  }

  // --- the list of check-ins not yet sent, and of those just sent --------------------
  var pending = document.getElementById("visit-pending");
  var done = [];  // {item, ok, message}: this page's uploads, for the list
  var needsSignIn = false;

  function when(iso) {
    try {
      return new Date(iso).toLocaleString(lang, {timeZone: "Asia/Jakarta", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"});
    } catch (e) { return iso; }
  }

  function line(item, label, cls) {
    var li = document.createElement("li");
    li.className = "visit-pending-item " + cls;
    var place = document.createElement("strong");
    place.textContent = item.venue || "";
    li.appendChild(place);
    li.appendChild(document.createTextNode(" · " + (item.entrance || "") + " · " + when(item.scanned_at) + " "));
    var badge = document.createElement("span");
    badge.className = "visit-badge";
    badge.textContent = label;
    li.appendChild(badge);
    return li;
  }

  function render() {
    if (!pending) { return; }
    var list = pending.querySelector("ul");
    list.textContent = "";
    var mine = load().filter(function (i) { return i.owner === owner; });
    mine.forEach(function (item) {
      var li = line(item, t("pending"), "is-pending");
      var note = document.createElement("small");
      note.textContent = " " + (needsSignIn ? t("sign-in") : t("pending-note"));
      li.appendChild(note);
      if (needsSignIn) {
        var link = document.createElement("a");
        link.href = signInUrl();
        link.textContent = " →";
        li.appendChild(link);
      }
      list.appendChild(li);
    });
    done.forEach(function (entry) {
      var li = line(entry.item, entry.ok ? t("sent") : t("refused"), entry.ok ? "is-sent" : "is-refused");
      if (entry.ok) {
        var a = document.createElement("a");
        a.href = resultUrl(entry.item.nonce);
        a.textContent = " " + t("see-result");
        li.appendChild(a);
      } else {
        li.appendChild(document.createTextNode(" " + entry.message));
      }
      list.appendChild(li);
    });
    pending.hidden = list.children.length === 0;
    // The heading says what the list holds: nothing "not sent" once all went.
    var heading = pending.querySelector("h2");
    if (heading) {
      heading.textContent = heading.getAttribute(mine.length ? "data-pending" : "data-done");
    }
    if (form) { holdIfQueued(mine); }
  }

  // --- a poster never opened before, scanned offline -------------------------------
  // The worker answers with the offline page at the poster's URL. The family of the
  // account that last confirmed a check-in on this phone is remembered (names and masked
  // NIKs, as its stored pages already show them), so the check-in can still be queued;
  // the server checks the code when it is sent.
  var FAMILY = "jejak.visits.family";
  var offlineCheckIn = document.getElementById("visit-offline-checkin");
  var posterToken = /^\/q\/([A-Za-z0-9._-]+)\/?$/.exec(location.pathname);
  var liveForm = document.getElementById("visit-confirm-form");
  if (liveForm && owner) {
    try {
      window.localStorage.setItem(FAMILY, JSON.stringify({
        owner: owner,
        people: Array.prototype.map.call(liveForm.querySelectorAll("input[name=people]"), function (box) {
          return {key: box.value, label: box.parentNode.textContent.replace(/\s+/g, " ").trim()};
        })
      }));
    } catch (e) { /* storage full or disabled: no offline form then */ }
  }
  if (offlineCheckIn && posterToken && !owner) {
    var family = null;
    try { family = JSON.parse(window.localStorage.getItem(FAMILY) || "null"); } catch (e) { family = null; }
    if (family && family.owner && family.people && family.people.length) {
      owner = family.owner;
      var built = offlineCheckIn.querySelector("form");
      built.id = "visit-confirm-form";
      built.setAttribute("data-qr", posterToken[1]);
      built.setAttribute("data-venue", t("unknown-venue"));
      built.setAttribute("data-entrance", "");
      var who = built.querySelector("fieldset");
      family.people.forEach(function (person, index) {
        var label = document.createElement("label");
        label.className = "visit-choice";
        var box = document.createElement("input");
        box.type = "checkbox";
        box.name = "people";
        box.value = person.key;
        box.checked = index === 0;
        var text = document.createElement("span");
        text.textContent = person.label;
        label.appendChild(box);
        label.appendChild(text);
        who.appendChild(label);
      });
      offlineCheckIn.hidden = false;
    }
  }

  // --- sending the queue --------------------------------------------------------------
  var flushing = false;
  var form = document.getElementById("visit-confirm-form");
  var formNonce = newNonce();
  var queuedNote = document.getElementById("visit-queued");

  // A check-in at this poster already waits in the queue (made here before a reload, or
  // on another page): the button stays off, so a second tap cannot make a second one.
  function holdIfQueued(mine) {
    var qr = form.getAttribute("data-qr");
    var waiting = mine.filter(function (i) { return i.qr === qr; });
    var submit = form.querySelector("button[type=submit]");
    if (waiting.length) {
      formNonce = waiting[0].nonce;  // when it goes, this page shows its result
      submit.disabled = true;
      if (queuedNote) { queuedNote.hidden = false; }
    } else if (queuedNote && !queuedNote.hidden) {
      queuedNote.hidden = true;
    }
  }

  function sent(item) {
    remove(item.nonce);
    if (form && item.nonce === formNonce) {
      // Still on the page where it was confirmed: show its result as if it had gone at once.
      location.assign(resultUrl(item.nonce));
      return;
    }
    done.push({item: item, ok: true});
  }

  function flush() {
    if (flushing || !owner || !navigator.onLine) { render(); return; }
    var mine = load().filter(function (i) { return i.owner === owner; });
    if (!mine.length) { render(); return; }
    flushing = true;
    var chain = Promise.resolve(true);
    mine.forEach(function (item) {
      chain = chain.then(function (goOn) {
        if (!goOn) { return false; }
        return post(item).then(function (res) {
          if (res.status === 201) { sent(item); return true; }
          if (res.status === 401) { needsSignIn = true; return false; }
          // A new privacy notice to accept first: kept, sent once the pages have asked.
          if (res.status === 403 && res.data.code === "privacy_notice_changed") { return false; }
          if (res.status === 429 || res.status >= 500 || res.status === 403 && !res.data.code) {
            return false;  // try again later (busy server, or a CSRF cookie to renew)
          }
          // Refused for good (too old, code revoked...): say why and stop retrying it.
          remove(item.nonce);
          done.push({item: item, ok: false, message: res.data.message || t("error")});
          return true;
        }, function () { return false; });
      });
    });
    chain.then(function () { flushing = false; render(); }, function () { flushing = false; render(); });
  }

  window.addEventListener("online", function () { showConnection(); flush(); });
  window.setInterval(flush, 20000);

  // --- the confirmation form ----------------------------------------------------------
  if (form) {
    var error = document.getElementById("visit-error");
    var button = form.querySelector("button[type=submit]");
    var showError = function (text) { error.textContent = text; error.hidden = !text; };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      showError("");
      var people = Array.prototype.map.call(
        form.querySelectorAll("input[name=people]:checked"), function (box) { return box.value; });
      if (!people.length) { showError(t("choose")); return; }
      var type = form.querySelector("input[name=visitor_type]:checked");
      var item = {
        owner: owner,
        nonce: formNonce,
        qr: form.getAttribute("data-qr"),
        people: people,
        visitor_type: type ? type.value : "guest",
        venue: form.getAttribute("data-venue"),
        entrance: form.getAttribute("data-entrance"),
        scanned_at: new Date().toISOString()
      };
      button.disabled = true;
      var queue = function () {
        enqueue(item);
        render();
        // Said where the thumb is, not only in the list at the top of the page.
        if (queuedNote) {
          queuedNote.hidden = false;
          queuedNote.scrollIntoView({block: "center"});
          queuedNote.focus({preventScroll: true});
        }
      };
      if (!navigator.onLine) { queue(); return; }
      // Online: no scanned_at, the server's clock is the scan time.
      post({qr: item.qr, nonce: item.nonce, people: item.people, visitor_type: item.visitor_type})
        .then(function (res) {
          if (res.status === 201) { location.assign(resultUrl(item.nonce)); return; }
          button.disabled = false;
          if (res.status === 401) { location.assign(signInUrl()); return; }
          if (res.status === 403 && res.data.code === "privacy_notice_changed") {
            location.assign(res.data.accept_url + "?next=" + encodeURIComponent(location.pathname + location.search));
            return;
          }
          showError(res.data.message || t("error"));
        }, queue);
    });
  }

  // --- "Total Keramaian" kept current from the public preview -----------------------
  var crowd = document.getElementById("visit-crowd");
  if (crowd && crowd.getAttribute("data-preview")) {
    window.setInterval(function () {
      if (!navigator.onLine || document.hidden) { return; }
      fetch(crowd.getAttribute("data-preview"), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && data.crowd) { crowd.textContent = data.crowd.inside + " / " + data.crowd.capacity; }
        })
        .catch(function () { /* offline: keep the last figure */ });
    }, 30000);
  }

  // --- the result screen's clock ----------------------------------------------------
  var clock = document.getElementById("visit-clock");
  if (clock) {
    var skew = Date.parse(clock.getAttribute("data-server-time")) - Date.now();
    // A copy served from the phone's cache carries an old server time: trust the phone then.
    if (isNaN(skew) || document.querySelector(".visit-offline-saved")) { skew = 0; }
    var format = new Intl.DateTimeFormat(lang, {
      timeZone: "Asia/Jakarta", weekday: "short", day: "numeric", month: "short",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
    });
    var tick = function () { clock.textContent = format.format(new Date(Date.now() + skew)) + " WIB"; };
    tick();
    window.setInterval(tick, 1000);
  }

  flush();
})();
