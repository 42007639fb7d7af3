/* Small helpers under the site's CSP (no inline script): a print button that exists only
   where the script runs (Ctrl+P works everywhere). */
(function () {
  "use strict";
  document.querySelectorAll("button.js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
