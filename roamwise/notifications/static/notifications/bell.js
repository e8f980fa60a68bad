// Keeps the unread count of the bell in the header fresh while a page is open.
(function () {
  "use strict";
  var bell = document.getElementById("notification-bell");
  if (!bell) { return; }
  var count = bell.querySelector(".bell-count");
  var url = bell.getAttribute("data-unread-url");
  function refresh() {
    if (document.hidden) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        count.textContent = data.unread > 0 ? String(data.unread) : "";
        bell.setAttribute("aria-label", "Notifications, " + data.unread + " unread");
      })
      .catch(function () {});
  }
  setInterval(refresh, 30000);
})();
