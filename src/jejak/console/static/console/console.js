// The venue console: refreshes the live numbers and alerts, asks before "check out
// everyone", and scans visitors' status QR codes. The page works without it.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) return;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Times as the server shows them (the venue's zone), whatever the device's zone is.
  function clock(iso) {
    try {
      return new Date(iso).toLocaleTimeString("en-GB", { hour12: false, timeZone: root.dataset.timeZone });
    } catch (e) {
      return new Date(iso).toLocaleTimeString("en-GB", { hour12: false });
    }
  }

  function setText(id, value) {
    var el = document.getElementById(id);
    if (el && el.textContent !== String(value)) el.textContent = value;
  }

  // --- Live occupancy, today's check-ins and black-status alerts -------------------
  var pollMs = Math.max(2, parseInt(root.dataset.pollSeconds, 10) || 5) * 1000;
  var alertsList = document.getElementById("alerts");
  var seenAlerts = {};
  Array.prototype.forEach.call(alertsList.querySelectorAll("[data-alert]"), function (li) {
    seenAlerts[li.dataset.alert] = true;
  });
  var noAlertsText = alertsList.dataset.emptyLabel;
  var ackLabel = alertsList.dataset.ackLabel;
  var doneLabel = alertsList.dataset.doneLabel;

  function alertItem(alert) {
    var li = document.createElement("li");
    li.dataset.alert = alert.id;
    if (alert.acknowledged) li.className = "done";
    var swatch = document.createElement("span");
    swatch.className = "console-swatch hitam";
    swatch.textContent = alert.colour_label;
    var time = document.createElement("time");
    time.dateTime = alert.at;
    time.textContent = alert.time;
    var what = document.createElement("span");
    what.appendChild(time);
    what.appendChild(document.createTextNode(" · " + alert.entry_point));
    li.appendChild(swatch);
    li.appendChild(what);
    if (alert.acknowledged) {
      var done = document.createElement("span");
      done.className = "muted";
      done.textContent = doneLabel;
      li.appendChild(done);
    } else {
      var form = document.createElement("form");
      form.method = "post";
      form.action = root.dataset.ackUrl.replace(/\/0\/([^/]*)\/$/, "/" + alert.id + "/$1/");
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrfmiddlewaretoken";
      token.value = csrfToken();
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "secondary";
      button.textContent = ackLabel;
      form.appendChild(token);
      form.appendChild(button);
      li.appendChild(form);
    }
    return li;
  }

  function renderAlerts(alerts) {
    var fresh = false;
    alerts.forEach(function (a) {
      if (!seenAlerts[a.id]) fresh = true;
      seenAlerts[a.id] = true;
    });
    var items = alerts.map(alertItem);
    alertsList.textContent = "";
    if (!items.length) {
      var li = document.createElement("li");
      li.className = "muted";
      li.id = "no-alerts";
      li.textContent = noAlertsText;
      alertsList.appendChild(li);
    }
    items.forEach(function (li) { alertsList.appendChild(li); });
    if (fresh && navigator.vibrate) navigator.vibrate([200, 100, 200]);
  }

  // The page's CSP allows no inline style: the server's first figure is applied here.
  var firstFill = document.getElementById("occupancy-fill");
  if (firstFill) firstFill.style.width = firstFill.dataset.percent + "%";

  function render(state) {
    setText("inside", state.inside);
    setText("capacity", state.capacity);
    var fill = document.getElementById("occupancy-fill");
    fill.style.width = state.percent + "%";
    fill.className = state.percent >= 100 ? "full" : state.percent >= 80 ? "high" : "";
    document.getElementById("occupancy-bar").setAttribute("aria-valuenow", state.percent);
    Object.keys(state.today.decision).forEach(function (k) {
      setText("today-" + k, state.today.decision[k]);
    });
    Object.keys(state.today.colour).forEach(function (k) {
      setText("colour-" + k, state.today.colour[k]);
    });
    if (alertsList.dataset.rendered !== JSON.stringify(state.alerts)) {
      alertsList.dataset.rendered = JSON.stringify(state.alerts);
      renderAlerts(state.alerts);
    }
    var updated = document.getElementById("updated");
    updated.dateTime = state.at;
    updated.textContent = clock(state.at);
  }

  var timer = null;
  function poll() {
    timer = null;
    if (document.hidden) return;
    fetch(root.dataset.liveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (state) {
        document.getElementById("live-offline").hidden = true;
        render(state);
      })
      .catch(function () {
        document.getElementById("live-offline").hidden = false;
      })
      .then(schedule);
  }
  function schedule() {
    if (timer === null && !document.hidden) timer = setTimeout(poll, pollMs);
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null) poll();
  });
  schedule();

  // --- "Check out everyone": a dialog instead of the confirmation page ---------------
  var opener = document.getElementById("checkout-open");
  var dialog = document.getElementById("checkout-dialog");
  if (opener && dialog && typeof dialog.showModal === "function") {
    opener.addEventListener("click", function (event) {
      event.preventDefault();
      dialog.showModal();
    });
    document.getElementById("checkout-cancel").addEventListener("click", function () {
      dialog.close();
    });
  }

  // --- Guard scanner: a visitor's status QR, checked by the server ----------------------
  var form = document.getElementById("pass-form");
  var input = document.getElementById("pass-text");
  var result = document.getElementById("pass-result");
  var startButton = document.getElementById("scan-start");
  var stopButton = document.getElementById("scan-stop");
  var video = document.getElementById("scan-video");
  var scanError = document.getElementById("scan-error");

  function showResult(ok, body) {
    var tpl = document.getElementById(ok ? "pass-genuine" : "pass-refused");
    var node = tpl.content.cloneNode(true);
    if (ok) {
      node.querySelector(".verdict").textContent = body.decision_label;
      var reasons = node.querySelector(".reasons");
      body.reasons.forEach(function (sentence) {
        var li = document.createElement("li");
        li.textContent = sentence;
        reasons.appendChild(li);
      });
      var chip = node.querySelector(".visit-chip");
      chip.textContent = body.colour_label;
      chip.className = "visit-chip visit-" + body.colour;
      chip.dataset.colour = body.colour;
      node.querySelector(".name").textContent = body.full_name;
      node.querySelector(".nik").textContent = body.nik_masked;
      var t = node.querySelector(".expiry time");
      t.dateTime = body.expires_at;
      t.textContent = clock(body.expires_at);
      result.className = "console-result " + body.decision_colour;
      result.dataset.decision = body.decision;
    } else {
      node.querySelector(".message").textContent = body.message || "";
      result.className = "console-result refused";
    }
    result.textContent = "";
    result.appendChild(node);
    result.hidden = false;
    result.dataset.genuine = ok ? "1" : "0";
    if (!ok) { result.dataset.decision = ""; }
    // The reason code is for support and tests; the guard reads the sentence.
    result.dataset.code = ok ? "" : body.code || "";
  }

  function verify(text) {
    result.hidden = true;
    return fetch(root.dataset.verifyUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ pass: text })
    })
      .then(function (response) {
        return response.json().then(function (body) { showResult(response.ok, body); });
      })
      .catch(function () {
        showResult(false, { message: document.getElementById("live-offline").textContent, code: "" });
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    verify(input.value.trim());
  });

  var stream = null;
  var scanning = false;
  var detector = null;
  var canvas = null;

  function stopScan() {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  function found(text) {
    stopScan();
    input.value = text;
    verify(text);
  }

  function decodeWithJsQR() {
    canvas = canvas || document.createElement("canvas");
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return null;
    canvas.width = w;
    canvas.height = h;
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, w, h);
    var code = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
    return code ? code.data : null;
  }

  function tick() {
    if (!scanning) return;
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) found(codes[0].rawValue);
        else setTimeout(tick, 150);
      }, function () { setTimeout(tick, 300); });
    } else {
      var text = decodeWithJsQR();
      if (text) found(text);
      else setTimeout(tick, 200);
    }
  }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.dataset.jsqrUrl;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function chooseDecoder() {
    // The browser's own detector where it reads QR codes; the npm library otherwise,
    // fetched only now so the console's first load stays small.
    if ("BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) {
          detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return null;
        }
        return loadJsQR();
      }, loadJsQR);
    }
    return loadJsQR();
  }

  function startScan() {
    scanError.hidden = true;
    chooseDecoder()
      .then(function () {
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        return video.play();
      })
      .then(function () {
        scanning = true;
        tick();
      })
      .catch(function () {
        stopScan();
        scanError.hidden = false;
      });
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    startButton.hidden = false;
    startButton.addEventListener("click", startScan);
    stopButton.addEventListener("click", stopScan);
  }
})();
