// The consent banner: post the choice without leaving the page. Without this
// script the same form posts and comes back to the page (progressive enhancement).
(function () {
  "use strict";
  var banner = document.getElementById("consent-banner");
  if (!banner || !window.fetch || !window.FormData) { return; }
  var form = banner.querySelector("form");
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.name) { return; }
    event.preventDefault();
    var data = new FormData(form);
    data.append(button.name, button.value);
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (body) {
      banner.remove();
      if (body.analytics && body.analytics_script) {
        var script = document.createElement("script");
        script.src = body.analytics_script;
        script.defer = true;
        document.head.appendChild(script);
      }
    }).catch(function () {
      var field = document.createElement("input");
      field.type = "hidden"; field.name = button.name; field.value = button.value;
      form.appendChild(field);
      form.submit();
    });
  });
})();
