// The header's menu on a phone: one button opens and closes the list of
// links. Without this script the links simply wrap under the search box.
(function () {
  "use strict";
  var button = document.querySelector(".menu-toggle");
  if (!button) return;
  var menu = document.getElementById(button.getAttribute("aria-controls"));
  var narrow = window.matchMedia("(max-width: 40rem)");

  function open() { return button.getAttribute("aria-expanded") === "true"; }
  function apply() {
    button.hidden = !narrow.matches;
    menu.hidden = narrow.matches && !open();
  }
  function set(expanded) { button.setAttribute("aria-expanded", String(expanded)); apply(); }

  button.addEventListener("click", function () { set(!open()); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && narrow.matches && open()) { set(false); button.focus(); }
  });
  document.addEventListener("click", function (event) {
    if (narrow.matches && open() && !button.parentNode.contains(event.target)) set(false);
  });
  narrow.addEventListener("change", apply);
  apply();
})();
