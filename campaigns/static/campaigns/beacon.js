// The landing-page beacon (readable copy; the page inlines beacon.min.js, < 2 KB).
// Sends view, CTA click, form submit and scroll-past-the-fold events to the ingest endpoint.
// Events are queued and sent together (one request of up to 20 events): 5 s after the first one,
// at once on a form submit, and with sendBeacon when the page is hidden or left (pagehide,
// visibilitychange), so a visitor who leaves early is still counted.
// Honours Do Not Track and Global Privacy Control; sets no cookie.
(function () {
  var d = document, n = navigator, b = d.body.dataset, q = new URLSearchParams(location.search), s = 0, Q = [], T = 0;
  if (n.doNotTrack === "1" || n.globalPrivacyControl) return;
  function flush() {
    clearTimeout(T); T = 0;
    while (Q.length) {
      var p = { p: b.p, v: +b.v, k: b.k, e: Q.splice(0, 20), r: d.referrer.slice(0, 500), f: (q.get("fbclid") || "").slice(0, 500) };
      ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"].forEach(function (k) { p[k] = (q.get(k) || "").slice(0, 200); });
      var j = JSON.stringify(p);
      if (!(n.sendBeacon && n.sendBeacon(b.e, j))) fetch(b.e, { method: "POST", body: j, keepalive: true });
    }
  }
  function e(t, c) { Q.push([t, c || ""]); if (!T) T = setTimeout(flush, 5000); }
  e("view");
  d.addEventListener("click", function (x) { var a = x.target.closest("a[data-c]"); if (a) e("click", a.dataset.c); });
  d.addEventListener("submit", function (x) { e("submit", x.target.dataset.c); flush(); });
  addEventListener("scroll", function f() { if (!s && scrollY > innerHeight / 2) { s = 1; e("scroll"); removeEventListener("scroll", f); } }, { passive: true });
  addEventListener("pagehide", flush);
  d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") flush(); });
})();
