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

// htmx swaps replace the element that had the focus. Keyboard users must not be dropped back to
// the top of the page: put the focus on the same control, or its nearest sensible neighbour.
(function () {
  "use strict";
  var focusedId = null;
  var itemId = null;

  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusedId = active && active.id ? active.id : null;
    var item = active && active.closest ? active.closest("[id^='item-']") : null;
    itemId = item ? item.id : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    var form = target && target.querySelector ? target.querySelector("form.item-form") : null;
    if (target && target.matches && target.matches("form.item-form")) form = target;
    if (form) {
      var summary = form.querySelector("#error-summary");
      var field = form.querySelector("textarea, input:not([type=hidden]), select");
      (summary || field || form).focus();
      return;
    }
    if (document.activeElement && document.activeElement !== document.body) return;
    var same = focusedId ? document.getElementById(focusedId) : null;
    if (same && !same.disabled) {
      same.focus();
      return;
    }
    // A move button at the end of the list is disabled: go to its opposite number instead.
    var opposite = focusedId ? focusedId.replace(/^(up|down)-/, function (m, way) {
      return (way === "up" ? "down" : "up") + "-";
    }) : null;
    var other = opposite && opposite !== focusedId ? document.getElementById(opposite) : null;
    if (other && !other.disabled) {
      other.focus();
      return;
    }
    var item = itemId ? document.getElementById(itemId) : null;
    if (item) {
      var control = item.querySelector("button:not([disabled]), a[href]");
      if (control) {
        control.focus();
      } else {
        item.tabIndex = -1;
        item.focus();
      }
    }
  });
})();
