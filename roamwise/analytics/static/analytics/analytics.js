// First-party analytics, loaded only after consent to analytics: page views,
// time on page and clicks, sent to this site alone. Nothing is stored in the
// browser (no cookie, no localStorage).
(function () {
  "use strict";
  if (window.roamwiseAnalytics) { return; }
  window.roamwiseAnalytics = true;
  var endpoint = "/analytics/collect";
  var started = Date.now();
  var path = window.location.pathname;
  var stepMeta = document.querySelector('meta[name="analytics-step"]');

  function send(payload, beacon) {
    payload.path = path;
    var body = JSON.stringify(payload);
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon(endpoint, new Blob([body], { type: "application/json" }));
      return;
    }
    fetch(endpoint, {
      method: "POST", body: body, credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json" }
    }).catch(function () {});
  }

  send({ kind: "pageview", step: stepMeta ? stepMeta.content : "" });

  document.addEventListener("click", function (event) {
    var element = event.target.closest ? event.target.closest("a, button") : null;
    if (!element) { return; }
    var label = element.getAttribute("data-analytics");
    if (!label && element.tagName === "A" && element.href) {
      label = new URL(element.href, window.location.href).pathname;
    }
    if (!label) { label = (element.textContent || "").trim(); }
    send({ kind: "click", target: label.slice(0, 100) }, true);
  }, true);

  var dwellSent = false;
  function dwell() {
    if (dwellSent) { return; }
    dwellSent = true;
    send({ kind: "dwell", dwell_ms: Date.now() - started }, true);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { dwell(); }
  });
  window.addEventListener("pagehide", dwell);
})();
