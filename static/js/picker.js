/* Narrow a long <select data-picker> by typing: a search box above it hides the options
   (and groups) whose text, or whose group's label, does not contain what is typed, accents
   and case aside. Without this script the <select> works as it is. */
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }
  function attach(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-filter";
    box.autocomplete = "off";
    box.placeholder = select.getAttribute("data-picker-placeholder") || "…";
    box.setAttribute("aria-label", box.placeholder);
    select.parentNode.insertBefore(box, select);
    var entries = [];
    Array.prototype.forEach.call(select.options, function (option) {
      var group = option.parentNode.tagName === "OPTGROUP" ? option.parentNode : null;
      entries.push({
        option: option,
        group: group,
        text: fold(option.text + " " + (group ? group.label : ""))
      });
    });
    box.addEventListener("input", function () {
      var words = fold(box.value).split(/\s+/).filter(Boolean);
      var shown = new Map();
      var first = null;
      entries.forEach(function (entry) {
        var match = !entry.option.value || words.every(function (w) {
          return entry.text.indexOf(w) !== -1;
        });
        entry.option.hidden = !match;
        if (entry.group) {
          shown.set(entry.group, (shown.get(entry.group) || false) || match);
        }
        if (match && entry.option.value && first === null) { first = entry.option; }
      });
      shown.forEach(function (visible, group) { group.hidden = !visible; });
      if (first && words.length && select.selectedOptions.length &&
          select.selectedOptions[0].hidden) {
        first.selected = true;
      }
    });
  }
  document.querySelectorAll("select[data-picker]").forEach(attach);
}());
