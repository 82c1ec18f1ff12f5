/* The in-app scanner: the camera through getUserMedia, decoded by the browser's
   BarcodeDetector where it reads QR codes, else by jsQR (loaded only then: it is the
   heaviest file of the app). A Jejak poster's URL or bare token opens its page. */
(function () {
  "use strict";
  var config = document.getElementById("visit-scan-config");
  var video = document.getElementById("visit-video");
  var status = document.getElementById("visit-scan-status");
  if (!config || !video || !status) { return; }
  function t(name) { return config.getAttribute("data-t-" + name) || ""; }
  var stream = null;
  var finished = false;
  var lastRefused = "";
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", {willReadFrequently: true});

  function tokenOf(text) {
    // As qrcodes.tokens.extract_token: the host is not trusted, the signature is checked
    // by the page the token opens.
    var bare = String(text || "").trim().split(/[?#]/)[0].replace(/\/$/, "");
    var inUrl = /\/q\/([A-Za-z0-9._-]+)$/.exec(bare);
    if (inUrl) { return inUrl[1]; }
    return /^J1\.[A-Za-z0-9._-]+$/.test(bare) ? bare : null;
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
  }

  function read(text) {
    var token = tokenOf(text);
    if (!token) {
      if (text !== lastRefused) { status.textContent = t("not-jejak"); lastRefused = text; }
      return false;
    }
    finished = true;
    status.textContent = t("found");
    stop();
    location.assign("/q/" + token);
    return true;
  }

  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var script = document.createElement("script");
      script.src = config.getAttribute("data-jsqr");
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function jsQRDecoder() {
    return loadJsQR().then(function (jsQR) {
      return function () {
        var w = video.videoWidth, h = video.videoHeight;
        if (!w || !h) { return Promise.resolve(null); }
        // 800 px is plenty for a poster's code and keeps a cheap phone responsive.
        var scale = Math.min(1, 800 / Math.max(w, h));
        canvas.width = Math.round(w * scale);
        canvas.height = Math.round(h * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(image.data, image.width, image.height, {inversionAttempts: "dontInvert"});
        return Promise.resolve(code ? code.data : null);
      };
    });
  }

  function decoder() {
    if (!("BarcodeDetector" in window)) { return jsQRDecoder(); }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) { throw new Error("qr_code unsupported"); }
      var detector = new window.BarcodeDetector({formats: ["qr_code"]});
      return function () {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }).catch(jsQRDecoder);
  }

  function loop(decode) {
    if (finished) { return; }
    var again = function () { window.setTimeout(function () { loop(decode); }, 200); };
    if (video.readyState < 2) { again(); return; }
    decode().then(function (text) { if (!(text && read(text))) { again(); } }, again);
  }

  function noCamera() { status.textContent = t("no-camera"); stop(); }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { noCamera(); return; }
  navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false})
    .then(function (media) {
      stream = media;
      video.srcObject = media;
      var playing = video.play();
      if (playing && playing.catch) { playing.catch(function () { /* muted autoplay may still wait */ }); }
      return decoder().then(loop);
    })
    .catch(noCamera);
  window.addEventListener("pagehide", stop);
})();
