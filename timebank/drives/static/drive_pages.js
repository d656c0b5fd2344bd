/* The drive dashboard's figures refresh themselves: every few seconds the figures alone are fetched and swapped in
   (while the page is in view). When a fetch fails the last figures stay, with a note saying so; the page's
   "Refresh now" link does the same without this script. Print buttons (the pick list) print the page. */
(function () {
  "use strict";
  var prints = document.querySelectorAll("[data-print]");
  for (var i = 0; i < prints.length; i++) {
    prints[i].hidden = false;
    prints[i].addEventListener("click", function () { window.print(); });
  }

  var box = document.getElementById("drive-figures");
  if (!box || !box.dataset.figuresUrl) { return; }
  var note = document.getElementById("figures-note");
  var freshText = note ? note.textContent : "";
  var every = Math.max(1, parseInt(box.dataset.refresh, 10) || 15) * 1000;
  var timer = null;

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, every);
  }

  function stale(flag) {
    if (!note) { return; }
    note.textContent = flag ? note.dataset.stale : freshText;
    note.classList.toggle("is-stale", flag);
  }

  function refresh() {
    if (document.hidden) { later(); return; }
    fetch(box.dataset.figuresUrl, {credentials: "same-origin", cache: "no-store", redirect: "manual",
                                   headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        box.innerHTML = html;
        stale(false);
      })
      .catch(function () { stale(true); })
      .then(later);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { refresh(); }
  });
  later();
}());
