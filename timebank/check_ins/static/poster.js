/* The center tablet's poster: fetch the next signed code every 30 seconds and swap the QR only once the new image
   has loaded. When the network blinks the last code stays, with a notice that it is stale, until it stops working
   (2 minutes); then the QR is taken away, so nobody scans a code the server will refuse. Times come from the server
   (its clock, corrected by the offset seen at each answer), so a tablet whose clock is wrong still judges right. */
(function () {
  "use strict";
  var body = document.body;
  var image = document.getElementById("poster-qr");
  var expiredNote = document.getElementById("poster-expired");
  var status = document.getElementById("poster-status");
  var freshText = status.textContent;
  var offset = Date.parse(body.dataset.serverTime) - Date.now();  // server time minus tablet time
  var refreshAt = Date.parse(body.dataset.refreshAt);
  var expiresAt = Date.parse(body.dataset.expiresAt);
  var signedOut = false;
  var timer = null;

  function serverNow() { return Date.now() + offset; }

  function clock(serverMoment) {
    return new Date(serverMoment - offset).toLocaleTimeString(document.documentElement.lang || undefined,
                                                             {hour: "2-digit", minute: "2-digit"});
  }

  function show() {
    var now = serverNow();
    var state = now > expiresAt ? "expired" : (now > refreshAt + 5000 || signedOut ? "stale" : "fresh");
    body.dataset.state = state;
    image.hidden = state === "expired";
    expiredNote.hidden = state !== "expired";
    if (signedOut) {
      status.textContent = body.dataset.textSignedOut;
    } else if (state === "expired") {
      status.textContent = body.dataset.textExpired;
    } else if (state === "stale") {
      status.textContent = body.dataset.textStale.replace("%(time)s", clock(expiresAt));
    } else {
      status.textContent = freshText;
    }
  }

  function later(delay) {
    clearTimeout(timer);
    timer = setTimeout(fetchNext, Math.max(250, delay));
  }

  function failed() {
    show();
    later(5000);  // try again soon; the last code stays while it still works
  }

  function fetchNext() {
    fetch(body.dataset.codeUrl, {credentials: "same-origin", cache: "no-store", redirect: "manual",
                                 headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          signedOut = true;
          throw new Error("signed out");
        }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (code) {
        var next = new Image();
        next.onload = function () {
          signedOut = false;
          offset = Date.parse(code.server_time) - Date.now();
          image.src = next.src;
          refreshAt = Date.parse(code.refresh_at);
          expiresAt = Date.parse(code.expires_at);
          image.dataset.text = code.text;
          show();
          later(refreshAt - serverNow() + 300);
        };
        next.onerror = failed;
        next.src = code.image;
      })
      .catch(failed);
  }

  setInterval(show, 1000);
  later(refreshAt - serverNow() + 300);
})();
