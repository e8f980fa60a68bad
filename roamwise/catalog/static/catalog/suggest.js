// Destination suggestions as the visitor types, for every search box with a
// data-suggest-url. Without JavaScript the form still submits to the results page.
(function () {
  "use strict";

  function attach(input) {
    var url = input.getAttribute("data-suggest-url");
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!url || !list) { return; }
    var timer = null;
    var active = -1;
    var latest = 0;

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = options();
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", items[active].id);
    }

    function show(suggestions) {
      list.textContent = "";
      suggestions.forEach(function (item, index) {
        var option = document.createElement("li");
        option.id = input.id + "-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var link = document.createElement("a");
        link.href = item.url;
        link.tabIndex = -1;
        link.textContent = item.flag + " " + item.name;
        option.appendChild(link);
        if (item.matched) {
          var note = document.createElement("span");
          note.className = "muted";
          note.textContent = " " + item.matched;
          option.appendChild(note);
        }
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          window.location.href = item.url;
        });
        list.appendChild(option);
      });
      list.hidden = suggestions.length === 0;
      input.setAttribute("aria-expanded", suggestions.length ? "true" : "false");
      active = -1;
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query.length < 2) { close(); return; }
      var ticket = ++latest;
      fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (body) { if (ticket === latest) { show(body.suggestions || []); } })
        .catch(close);
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = options()[active].querySelector("a").href;
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(attach);
})();
