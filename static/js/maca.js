// Small behaviours shared by every page. No inline scripts: the Content Security Policy forbids them.
(function () {
  "use strict";
  // A form that takes a while (publishing, uploads, PDFs) must not be sent twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.dataset.allowResubmit !== undefined) return;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-disabled", "true");
      });
    }, 0);
  });
})();
