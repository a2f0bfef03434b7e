// A search box above a long list of checkboxes (fieldset[data-choices-filter]): typing keeps the
// choices whose label contains the words typed, accents and case ignored. Without JavaScript the
// full list stays usable.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("fieldset[data-choices-filter]").forEach(function (fieldset, index) {
    var elements = Array.prototype.slice.call(fieldset.querySelectorAll(".fr-fieldset__element"));
    var id = "choices-filter-" + index;
    var group = document.createElement("div");
    group.className = "fr-fieldset__element fr-input-group";
    var label = document.createElement("label");
    label.className = "fr-label";
    label.htmlFor = id;
    label.textContent = fieldset.getAttribute("data-choices-filter");
    var input = document.createElement("input");
    input.className = "fr-input";
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    var status = document.createElement("p");
    status.className = "fr-hint-text";
    status.setAttribute("aria-live", "polite");
    group.append(label, input, status);
    elements[0].before(group);
    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      elements.forEach(function (element) {
        var text = fold(element.textContent);
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        // A ticked choice stays visible: hiding it would hide what the form will send.
        var checked = element.querySelector("input:checked");
        element.hidden = !(match || checked);
        if (!element.hidden) { shown += 1; }
      });
      status.textContent = words.length ? shown + " sur " + elements.length + " affichées" : "";
    });
  });
})();
