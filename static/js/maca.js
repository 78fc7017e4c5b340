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

// A page that comes back with form errors: the error summary takes the focus, so that a screen
// reader announces what went wrong and the keyboard starts from its links to the fields.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();

// A text box's limit is the server's to enforce, with a message next to the box: the browser's
// own limit would cut pasted text short without a word. While the text is too long, the box says
// by how much. A box with a word limit (the 7-minute briefing's parts) always shows its count;
// words over the limit are kept as typed.
(function () {
  "use strict";
  // Counted as the server counts: characters (not UTF-16 units), a line break sent as two.
  function lengthOf(text) {
    return Array.from(text.replace(/\r?\n/g, "\r\n")).length;
  }
  // Words as the server counts them (Python's str.split()): runs of non-space characters.
  function wordsIn(text) {
    var trimmed = text.trim();
    return trimmed ? trimmed.split(/\s+/).length : 0;
  }
  function number(value) { return value.toLocaleString("en-GB"); }
  var measures = {
    maxlength: function (box, limit) {
      var over = lengthOf(box.value) - limit;
      return {
        over: over > 0,
        text: over > 0
          ? "This is " + number(over) + " characters over the limit of " + number(limit) +
            ": shorten it before sending."
          : "",
      };
    },
    "data-word-limit": function (box, limit) {
      var words = wordsIn(box.value);
      var over = words - limit;
      return {
        over: over > 0,
        text: over > 0
          ? number(words) + " words: " + number(over) + " over the limit of " + number(limit) +
            ". It is kept as typed, but shorten it so the briefing fits on one page."
          : number(words) + " of " + number(limit) + " words",
      };
    },
  };
  function watch(root) {
    Object.keys(measures).forEach(function (attribute) {
      var selector = "textarea[" + attribute + "]";
      var boxes = Array.from(root.querySelectorAll(selector));
      if (root.matches && root.matches(selector)) boxes.push(root);
      var suffix = attribute === "maxlength" ? "length" : "words";
      boxes.forEach(function (box) {
        var seen = "counted" + suffix;
        if (box.dataset[seen]) return;
        box.dataset[seen] = "yes";
        var limit = parseInt(box.getAttribute(attribute), 10);
        if (attribute === "maxlength") box.removeAttribute("maxlength");
        var hint = document.createElement("div");
        hint.className = "form-text";
        hint.id = (box.id || box.name) + "-" + suffix;
        hint.setAttribute("aria-live", "polite");
        box.insertAdjacentElement("afterend", hint);
        box.setAttribute("aria-describedby", ((box.getAttribute("aria-describedby") || "") + " " + hint.id).trim());
        function check() {
          var measured = measures[attribute](box, limit);
          hint.textContent = measured.text;
          hint.classList.toggle("text-danger", measured.over);
        }
        box.addEventListener("input", check);
        check();
      });
    });
  }
  watch(document);
  document.addEventListener("htmx:load", function (event) { watch(event.detail.elt); });
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

// Idle sign-out. The session ends after SESSION_IDLE_MINUTES without a request, but typing sends
// nothing: while someone types, the page tells the server they are still here, so a long answer
// is not lost to a sign-out. Someone only reading is warned shortly before the end and may stay.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.dataset.idleSeconds || "", 10);
  if (!idle || !body.dataset.keepaliveUrl) return;
  var warnBefore = Math.min(120, idle / 4);
  var typingPingEvery = Math.min(300, idle / 3);
  // The session is shared by every tab: each tells the others when it last reached the server.
  var SHARED = "maca-last-contact";
  var lastContact = Date.now();
  var lastTyped = 0;

  function contacted() {
    lastContact = Date.now();
    try { window.localStorage.setItem(SHARED, String(lastContact)); } catch (e) { /* private mode */ }
  }

  function latestContact() {
    var shared = 0;
    try { shared = parseInt(window.localStorage.getItem(SHARED) || "0", 10) || 0; } catch (e) { /* none */ }
    return Math.max(lastContact, shared);
  }
  contacted();
  var banner = null;
  var ended = false;

  function secondsSince(time) { return (Date.now() - time) / 1000; }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showBanner(text, withButton) {
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "alert alert-warning d-flex flex-wrap align-items-center gap-2 m-0 rounded-0 session-warning";
      banner.setAttribute("role", "alert");
      banner.id = "session-warning";
      body.insertBefore(banner, body.firstChild);
    }
    banner.textContent = "";
    var message = document.createElement("span");
    message.textContent = text;
    banner.appendChild(message);
    if (withButton) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-primary";
      button.textContent = "Stay signed in";
      button.addEventListener("click", function () { keepAlive(true); });
      banner.appendChild(button);
    }
  }

  function hideBanner() {
    if (banner) banner.remove();
    banner = null;
  }

  function signedOut() {
    ended = true;
    showBanner("You have been signed out because the page was left idle. Copy anything you have " +
      "typed and not saved, then sign in again in a new tab.", false);
  }

  function keepAlive(fromButton) {
    contacted();
    fetch(body.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
      redirect: "manual",
    }).then(function (response) {
      if (response.status === 204) {
        if (fromButton || banner) hideBanner();
      } else {
        signedOut();
      }
    }).catch(function () { /* offline for a moment: the next check tries again */ });
  }

  document.addEventListener("input", function () { lastTyped = Date.now(); });
  document.addEventListener("htmx:afterRequest", contacted);

  window.setInterval(function () {
    if (ended) return;
    var latest = latestContact();
    var quiet = secondsSince(latest);
    if (banner && quiet < idle - warnBefore) hideBanner();  // another tab kept the session
    if (lastTyped > latest && quiet >= typingPingEvery) {
      keepAlive(false);
    } else if (quiet >= idle) {
      signedOut();
    } else if (quiet >= idle - warnBefore && !banner) {
      showBanner("You will be signed out soon because nothing has been sent for a while.", true);
    }
  }, 1000);
})();
