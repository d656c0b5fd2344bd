/* The pickup desk (领取台): one page for a whole morning of scanning, without reloading.

   Three ways in, all ending in the same request: a USB scanner types into the focused field and presses Enter, a
   person types the short code, or the camera (or a photo) is read by the browser's BarcodeDetector where it has
   one, else by jsQR, which the app serves itself (loaded only when needed). Each scan is POSTed as JSON with the
   page's CSRF token and an Idempotency-Key made for that scan: a lost answer is asked again under the same key and
   gets the first answer, so a voucher is never redeemed twice by a retry. The answer is drawn by the server (the
   same HTML the page without script shows) and put in the big answer area; a line goes into the list of recent
   scans (kept for this tab in sessionStorage, so a walk-up's page load does not lose it). Focus goes back to the
   field after every answer. Every word shown comes from the page (data-text-*), in its language. */
(function () {
  "use strict";
  var root = document.getElementById("desk");
  var form = document.getElementById("desk-scan-form");
  if (!root || !form || !root.dataset.center) { return; }
  var field = document.getElementById("desk-text");
  var answerArea = document.getElementById("desk-answer");
  var historyBox = document.getElementById("desk-history");
  var historyList = document.getElementById("desk-history-list");
  var historyEmpty = document.getElementById("desk-history-empty");
  var cameraBox = document.getElementById("desk-camera");
  var startButton = document.getElementById("desk-camera-start");
  var stopButton = document.getElementById("desk-camera-stop");
  var photoButton = document.getElementById("desk-photo-button");
  var photoInput = document.getElementById("desk-photo");
  var video = document.getElementById("desk-video");
  var cameraStatus = document.getElementById("desk-camera-status");
  var texts = root.dataset;
  var csrfToken = form.querySelector("input[name=csrf_token]").value;

  var HISTORY_MAX = 15;
  var RETRIES = 2;  // a failed request is sent again this many times, under the same key
  var VIDEO_SIDE = 640;  // frames are scaled down to this for jsQR: fast enough on a cheap tablet
  var PHOTO_SIDE = 1200;
  var FRAME_GAP_MS = 120;
  var GONE_AFTER_MS = 1500;  // the camera reads the same voucher again only after it was out of sight this long
  var storageKey = "timebank.desk.history." + root.dataset.center;

  // ------------------------------------------------------------------ small helpers

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) { made.className = className; }
    if (text !== undefined && text !== null) { made.textContent = text; }
    return made;
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function clock() {
    return new Date().toLocaleTimeString(document.documentElement.lang || undefined,
                                         {hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
  }

  function focusField() {
    if (document.activeElement !== field) { field.focus({preventScroll: true}); }
  }

  function say(message) { cameraStatus.textContent = message || ""; }

  // ------------------------------------------------------------------ the list of recent scans

  var history = [];
  try { history = JSON.parse(window.sessionStorage.getItem(storageKey) || "[]"); } catch (e) { history = []; }
  if (!Array.isArray(history)) { history = []; }

  function drawHistory() {
    historyList.textContent = "";
    history.forEach(function (entry) {
      var item = element("li", "desk-history-item " + (entry.ok ? "is-ok" : "is-refused"));
      var mark = element("span", "desk-history-mark", entry.ok ? "✓" : "✗");
      mark.setAttribute("aria-hidden", "true");
      item.appendChild(mark);
      item.appendChild(element("span", "visually-hidden", entry.ok ? texts.textOk : texts.textRefused));
      var words = element("span", "desk-history-words");
      var head = element("span", "desk-history-head");
      head.appendChild(element("span", "desk-history-time", entry.time));
      head.appendChild(element("span", "desk-history-title", entry.title));
      words.appendChild(head);
      var detail = [entry.code, entry.detail].filter(Boolean).join(" · ");
      if (detail) { words.appendChild(element("span", "desk-history-detail", detail)); }
      item.appendChild(words);
      historyList.appendChild(item);
    });
    historyEmpty.hidden = history.length > 0;
  }

  function remember(entry) {
    if (!entry) { return; }
    if (entry.key && history.some(function (seen) { return seen.key === entry.key; })) { return; }  // a replay
    history.unshift(entry);
    history = history.slice(0, HISTORY_MAX);
    try { window.sessionStorage.setItem(storageKey, JSON.stringify(history)); } catch (e) { /* private mode */ }
    drawHistory();
  }

  function rememberCard(card) {
    var line = card && card.getAttribute("data-history");
    if (!line) { return; }
    try { remember(JSON.parse(line)); } catch (e) { /* not one of ours */ }
  }

  // ------------------------------------------------------------------ answers

  function show(html) {
    answerArea.innerHTML = html;  // drawn by the server with every value escaped
    var card = answerArea.firstElementChild;
    if (card) {
      card.classList.add("is-new");
      rememberCard(card);
      if (card.scrollIntoView) { card.scrollIntoView({block: "nearest"}); }
    }
  }

  function showProblem(message, retry) {
    answerArea.textContent = "";
    var card = element("article", "desk-answer is-refused is-problem");
    var verdict = element("div", "desk-verdict");
    var mark = element("span", "desk-mark", "!");
    mark.setAttribute("aria-hidden", "true");
    verdict.appendChild(mark);
    verdict.appendChild(element("h3", "desk-say", texts.textProblem));
    card.appendChild(verdict);
    card.appendChild(element("p", "desk-reason", message));
    if (retry) {
      var again = element("button", "primary desk-retry", texts.textRetry);
      again.type = "button";
      again.addEventListener("click", function () { enqueue(retry); });
      card.appendChild(again);
    }
    card.classList.add("is-new");
    answerArea.appendChild(card);
  }

  // ------------------------------------------------------------------ sending, one scan at a time

  var queue = [];
  var sending = false;

  function enqueue(scan) {
    queue.push(scan);
    next();
  }

  function next() {
    if (sending || !queue.length) { return; }
    sending = true;
    root.dataset.state = "sending";
    answerArea.setAttribute("aria-busy", "true");
    send(queue.shift(), 0);
  }

  function finished() {
    sending = false;
    root.dataset.state = "ready";
    answerArea.removeAttribute("aria-busy");
    focusField();
    next();
  }

  function send(scan, attempt) {
    fetch(root.dataset.scanUrl, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken,
                "Idempotency-Key": scan.key},
      body: JSON.stringify({text: scan.text, center: root.dataset.center})
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
        showProblem(texts.textSignedOut, null);  // the session ended: the sign-in page is where to go
        return null;
      }
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {
        if (response.status === 400) {  // the CSRF check refused the request: nothing was done
          showProblem(texts.textExpired, null);
          return null;
        }
        throw new Error("status " + response.status);
      }
      return response.json().then(function (answer) {
        if (answer && typeof answer.html === "string") {
          show(answer.html);
        } else if (answer && answer.error) {
          showProblem(answer.error.message, null);
        } else {
          throw new Error("not an answer");
        }
      });
    }).then(finished, function () {
      if (attempt < RETRIES) {
        window.setTimeout(function () { send(scan, attempt + 1); }, 700 * (attempt + 1));
        return;
      }
      showProblem(texts.textOffline, scan);
      remember({ok: false, title: texts.textProblem, detail: "", code: scan.label, time: clock(), key: ""});
      finished();
    });
  }

  function scanned(text, label) {
    text = (text || "").trim();
    if (!text) { return; }
    enqueue({text: text, key: newKey(), label: label || (text.length <= 14 ? text.toUpperCase() : texts.textQr)});
  }

  // The scanner and the keyboard: Enter sends the form.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = field.value;
    field.value = "";  // empty at once, so the next scan does not append to this one
    scanned(text);
    focusField();
  });

  // A click on the desk's own background puts the focus back where the scanner types.
  document.getElementById("desk-scan").addEventListener("click", function (event) {
    if (!event.target.closest("button, input, select, textarea, a, label, video")) { focusField(); }
  });

  // ------------------------------------------------------------------ reading QR codes: native, else jsQR

  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", {willReadFrequently: true});
  var decoding = null;

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) { return Promise.resolve(null); }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({formats: ["qr_code"]}) : null;
    }).catch(function () { return null; });
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  // decode(source, width, height, side) → a promise of the text of the QR code in it, or null. The camera's frames
  // and a photo go through the same function.
  function decoder() {
    if (!decoding) {
      decoding = nativeDetector().then(function (detector) {
        if (detector) {
          root.dataset.decoder = "native";
          return function (source) {
            return detector.detect(source).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
          };
        }
        if (!root.dataset.decoderUrl) { throw new Error("no decoder"); }
        return loadScript(root.dataset.decoderUrl).then(function () {
          if (typeof window.jsQR !== "function") { throw new Error("no decoder"); }
          root.dataset.decoder = "jsqr";
          return function (source, width, height, side) {
            var scale = Math.min(1, side / Math.max(width, height));
            canvas.width = Math.max(1, Math.round(width * scale));
            canvas.height = Math.max(1, Math.round(height * scale));
            context.drawImage(source, 0, 0, canvas.width, canvas.height);
            var image = context.getImageData(0, 0, canvas.width, canvas.height);
            var found = window.jsQR(image.data, image.width, image.height, {inversionAttempts: "attemptBoth"});
            return Promise.resolve(found && found.data ? found.data : null);
          };
        });
      });
    }
    return decoding;
  }

  // ------------------------------------------------------------------ the camera

  var stream = null;
  var frameTimer = null;
  var lastText = "";
  var lastSeenAt = 0;

  function seen(text) {
    var now = Date.now();
    if (!text) {
      if (now - lastSeenAt > GONE_AFTER_MS) { lastText = ""; }
      return;
    }
    var same = text === lastText;
    lastText = text;
    lastSeenAt = now;
    if (!same) { scanned(text, texts.textQr); }  // the same voucher held still is one scan, not one a frame
  }

  function nextFrame(decode) {
    window.clearTimeout(frameTimer);
    frameTimer = window.setTimeout(function () { readFrame(decode); }, FRAME_GAP_MS);
  }

  function readFrame(decode) {
    if (!stream) { return; }
    if (document.hidden || video.readyState < 2 || !video.videoWidth) {
      nextFrame(decode);
      return;
    }
    decode(video, video.videoWidth, video.videoHeight, VIDEO_SIDE)
      .then(seen, function () { return null; })
      .then(function () { nextFrame(decode); });
  }

  function stopCamera(message) {
    window.clearTimeout(frameTimer);
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
    delete root.dataset.camera;
    say(message);
  }

  function startCamera() {
    say(texts.textCameraStarting);
    decoder().then(function (decode) {
      return navigator.mediaDevices.getUserMedia({
        audio: false, video: {facingMode: {ideal: "environment"}, width: {ideal: 1280}, height: {ideal: 720}}
      }).then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        lastText = "";
        return video.play().then(function () {
          root.dataset.camera = "on";
          say(texts.textCameraOn);
          readFrame(decode);
        });
      }).catch(function () { stopCamera(texts.textCameraDenied); });
    }, function () { say(texts.textNoDecoder); }).then(focusField);
  }

  // ------------------------------------------------------------------ a photo (a tablet without a live camera)

  function readPhoto(file) {
    decoder().then(function (decode) {
      return window.createImageBitmap(file).then(function (bitmap) {
        return decode(bitmap, bitmap.width, bitmap.height, PHOTO_SIDE);
      });
    }).then(function (text) {
      if (text) {
        say("");
        scanned(text, texts.textQr);
      } else {
        say(texts.textPhotoNone);
      }
    }, function () { say(texts.textNoDecoder); }).then(focusField);
  }

  // ------------------------------------------------------------------ start

  var canCamera = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  var canDecode = !!root.dataset.decoderUrl || "BarcodeDetector" in window;
  if (canDecode) {
    cameraBox.hidden = false;
    photoButton.hidden = false;
    if (canCamera) {
      startButton.hidden = false;
    } else {
      say(texts.textCameraInsecure);
    }
  }
  startButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", function () { stopCamera(texts.textCameraOff); focusField(); });
  photoButton.addEventListener("click", function () { photoInput.click(); });
  photoInput.addEventListener("change", function () {
    var file = photoInput.files && photoInput.files[0];
    if (file) { readPhoto(file); }
    photoInput.value = "";
  });

  historyBox.hidden = false;
  drawHistory();
  rememberCard(answerArea.querySelector("[data-history]"));  // an answer this page was drawn with (a walk-up …)
  root.dataset.ready = "true";
  // The scanner's field has the focus, unless the person is busy with the walk-up form (its search, its errors).
  if (window.location.hash !== "#walk-up" && !document.querySelector(".errors-summary")) { focusField(); }
})();
