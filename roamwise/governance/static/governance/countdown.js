// Keeps the server-written 72-hour regulator countdowns ticking (SEC-06).
// Each element carries its deadline in data-deadline (ISO 8601); the text
// the server wrote stays as it is when scripts do not run.
(function () {
  "use strict";
  function label(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    return hours + " h " + (rest < 10 ? "0" : "") + rest + " min";
  }
  function tick() {
    var items = document.querySelectorAll("[data-deadline]");
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var due = Date.parse(item.getAttribute("data-deadline"));
      if (isNaN(due)) { continue; }
      var left = due - Date.now();
      if (left > 0) {
        item.textContent = label(left) + " left";
      } else {
        item.textContent = "Overdue by " + label(left);
        item.classList.remove("deadline-running");
        item.classList.add("deadline-overdue");
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 30000);
  });
})();
