// Choosing a canned reply in the back office puts its text in the reply box to edit.
(function () {
  "use strict";
  var select = document.getElementById("canned");
  var body = document.getElementById("reply-body");
  if (!select || !body) { return; }
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var text = option ? option.getAttribute("data-body") : "";
    if (text && !body.value.trim()) { body.value = text; }
  });
})();
