// The ticket page's conversation refreshes itself every few seconds, so that
// a reply from support appears without reloading: a chat, by polling.
(function () {
  "use strict";
  var holder = document.getElementById("thread");
  if (!holder) { return; }
  var url = holder.getAttribute("data-thread-url");
  var last = "";
  function refresh() {
    if (document.hidden) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || html === last) { return; }
        last = html;
        var probe = document.createElement("div");
        probe.innerHTML = html;
        if (!probe.querySelector(".thread")) { return; }
        holder.replaceChildren.apply(holder, Array.prototype.slice.call(probe.childNodes));
      })
      .catch(function () {});
  }
  setInterval(refresh, 4000);
})();
