// Time spent on a module page, counted only while the tab is visible.
// The seconds go to the server with navigator.sendBeacon (a fetch with keepalive as a fallback)
// when the tab is hidden, when the page is left, and every minute while it stays visible.
// The server credits no more time than has really passed since the module was opened.
(() => {
  "use strict";
  const el = document.getElementById("module-tracking");
  if (!el || !el.dataset.event || !el.dataset.url) return;

  const FLUSH_EVERY_MS = 60 * 1000;
  const { event, url, csrf } = el.dataset;
  let visibleSince = document.visibilityState === "visible" ? Date.now() : null;
  let pendingMs = 0;

  function collect() {
    if (visibleSince === null) return;
    const now = Date.now();
    pendingMs += Math.max(0, now - visibleSince);
    visibleSince = now;
  }

  function post(body) {
    if (navigator.sendBeacon) {
      try {
        if (navigator.sendBeacon(url, body)) return;
      } catch (err) {
        // fall through to fetch
      }
    }
    if (window.fetch) {
      fetch(url, { method: "POST", body, credentials: "same-origin", keepalive: true }).catch(
        () => {},
      );
    }
  }

  function flush() {
    collect();
    const seconds = Math.floor(pendingMs / 1000);
    if (seconds < 1) return;
    pendingMs -= seconds * 1000;
    const body = new FormData();
    body.append("csrf_token", csrf || "");
    body.append("event", event);
    body.append("seconds", String(seconds));
    post(body);
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      flush();
      visibleSince = null;
    } else if (visibleSince === null) {
      visibleSince = Date.now();
    }
  });
  window.addEventListener("pagehide", () => {
    flush();
    visibleSince = null;
  });
  window.addEventListener("pageshow", (e) => {
    // Back from the browser's page cache: the same page, visible again.
    if (e.persisted && document.visibilityState === "visible") visibleSince = Date.now();
  });
  window.setInterval(() => {
    if (document.visibilityState === "visible") flush();
  }, FLUSH_EVERY_MS);
})();
