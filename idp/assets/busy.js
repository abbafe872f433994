// While a form posts (a password or answers are being checked, which takes a moment), the
// button that sent it says « Veuillez patienter… » and the form is marked busy; pressing
// again sends nothing more. A page restored by the Back button gets its buttons back.
// The text comes from the page (`data-busy` on <body>), in the page's language.
(function () {
  "use strict";
  var busyText = function () { return document.body.getAttribute("data-busy") || ""; };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    var button = event.submitter || form.querySelector("button[type=submit]");
    form.setAttribute("aria-busy", "true");
    if (button && busyText()) {
      button.setAttribute("data-label", button.textContent);
      button.setAttribute("aria-disabled", "true");
      button.textContent = busyText();
    }
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
      form.removeAttribute("aria-busy");
    });
    document.querySelectorAll("button[data-label]").forEach(function (button) {
      button.textContent = button.getAttribute("data-label");
      button.removeAttribute("data-label");
      button.removeAttribute("aria-disabled");
    });
  });
})();
