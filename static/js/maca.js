// Small behaviours shared by every page. No inline scripts: the Content Security Policy forbids them.

// Gives `element` the focus and brings it on screen at once. Scrolling is smooth on these pages
// (Bootstrap's scroll-behavior): a smooth scroll still running, begun for what the update
// replaced, would otherwise carry the page on past the element, off the screen. Scrolling to
// where the page is now, at once, stops it.
// The page may still move for a moment after (the message of the press shown above it, a slow
// machine laying out the rest of the update): while it keeps the focus, it is kept on screen.
var KEPT_ON_SCREEN_MS = 1000;
function focusOnScreen(element) {
  "use strict";
  window.scrollTo({ left: window.scrollX, top: window.scrollY, behavior: "instant" });
  element.focus({ preventScroll: true });
  element.scrollIntoView({ block: "nearest", behavior: "instant" });
  var until = performance.now() + KEPT_ON_SCREEN_MS;
  (function keep() {
    if (document.activeElement !== element) return;
    var box = element.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      element.scrollIntoView({ block: "nearest", behavior: "instant" });
    }
    if (performance.now() < until) requestAnimationFrame(keep);
  })();
}
(function () {
  "use strict";
  // A form that takes a while (publishing, uploads, PDFs) must not be sent twice. A form that
  // asks (GET) may answer with a download, which leaves the page where it is: its buttons come
  // back after a moment, and on a page brought back by the browser's Back.
  var ASKING_PAUSE_MS = 4000;
  function buttonsOf(form) {
    var inside = Array.from(form.querySelectorAll("button[type=submit], input[type=submit]"));
    var outside = form.id ? Array.from(document.querySelectorAll(
      "button[type=submit][form='" + form.id + "'], input[type=submit][form='" + form.id + "']")) : [];
    return inside.concat(outside);
  }
  function setPressed(buttons, pressed) {
    buttons.forEach(function (button) {
      button.disabled = pressed;
      if (pressed) {
        button.setAttribute("aria-disabled", "true");
        button.dataset.pressed = "";
      } else {
        button.removeAttribute("aria-disabled");
        delete button.dataset.pressed;
      }
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.dataset.allowResubmit !== undefined) return;
    var buttons = buttonsOf(form);
    window.setTimeout(function () { setPressed(buttons, true); }, 0);
    if ((form.getAttribute("method") || "get").toLowerCase() === "get") {
      window.setTimeout(function () { setPressed(buttons, false); }, ASKING_PAUSE_MS);
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    // Only an asking form's: a form that changes something stays pressed until the page is new.
    setPressed(Array.from(document.querySelectorAll("[data-pressed]")).filter(function (button) {
      var form = button.form;
      return form && (form.getAttribute("method") || "get").toLowerCase() === "get";
    }), false);
  });
})();

// A date the browser cannot read (31 June, 29 February of a common year) is sent as an empty
// value, which the server takes for "no date": an optional date would be wiped without a word.
// Such a form is not sent: the date says why beside it, and takes the focus.
(function () {
  "use strict";
  var SAID = "data-date-problem";
  function clear(input) {
    var said = document.getElementById(input.id + "-date-problem");
    if (said) said.remove();
    if (input.getAttribute(SAID) !== null) {
      input.removeAttribute(SAID);
      input.removeAttribute("aria-invalid");
      input.classList.remove("is-invalid");
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== input.id + "-date-problem";
      });
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      else input.removeAttribute("aria-describedby");
    }
  }
  function say(input) {
    clear(input);
    var message = document.createElement("div");
    message.id = input.id + "-date-problem";
    message.className = "invalid-feedback d-block";
    message.textContent = "This is not a real date, so nothing was sent: check the day, month and year.";
    input.insertAdjacentElement("afterend", message);
    input.setAttribute(SAID, "");
    input.setAttribute("aria-invalid", "true");
    input.classList.add("is-invalid");
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + message.id);
  }
  document.addEventListener("submit", function (event) {
    var unreadable = Array.from(event.target.querySelectorAll("input[type=date]")).filter(
      function (input) { return input.validity && input.validity.badInput; });
    if (!unreadable.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    unreadable.forEach(say);
    unreadable[0].focus();
  }, true);
  document.addEventListener("input", function (event) {
    if (event.target.type === "date" && !event.target.validity.badInput) clear(event.target);
  });
})();

// A file chosen in one form of a page goes only with that form: pressing another form's button
// (an action's "Add update" under a chosen "Add evidence") would leave the file behind without a
// word. The first press says so in the form pressed; pressing again sends it as it is.
(function () {
  "use strict";
  var WARNED = "data-file-left-warned";
  function fileChosenElsewhere(form) {
    return Array.from(document.querySelectorAll("input[type=file]")).filter(function (input) {
      return input.form !== form && input.files && input.files.length > 0;
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // Only a form that changes something, in the page's own content: never signing out, nor a
    // filter that only asks.
    var changes = (form.getAttribute("method") || "get").toLowerCase() === "post";
    if (!changes || !form.closest("main")) return;
    var chosen = fileChosenElsewhere(form);
    if (!chosen.length || form.getAttribute(WARNED) !== null) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    form.setAttribute(WARNED, "");
    var other = chosen[0].form;
    var heading = other && other.querySelector("h2, h3, h4");
    var said = document.createElement("div");
    said.className = "alert alert-warning";
    said.setAttribute("role", "alert");
    said.textContent = "You chose a file in " + (heading ? "“" + heading.textContent.trim() + "”" :
      "another form of this page") + ", which this button does not send: it would not be kept. " +
      "Send that form with its own button first, or press this button again to go on without it.";
    form.insertBefore(said, form.firstChild);
  }, true);
})();

// A page that comes back with form errors: the error summary takes the focus, so that a screen
// reader announces what went wrong and the keyboard starts from its links to the fields. A page
// reached by saving, which opens with what happened ("The action was saved."), gives that the
// focus: a message already there when the page loads is not read out by a screen reader, and
// the keyboard starts from it, near the top, rather than from wherever the saved form was.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  var said = document.querySelector("#messages > .alert");
  if (summary) {
    focusOnScreen(summary);
  } else if (said && !location.hash && !document.querySelector("[autofocus]")) {
    said.tabIndex = -1;
    focusOnScreen(said);
  } else if (said && location.hash) {
    // A page opened at what was changed ("#evidence", a chronology's "#rows") keeps the browser
    // there, far below the message. The message is put into the page's message area again a
    // moment after the page has loaded: a change to that area is read out, where a message
    // already there as the page loads is not.
    var area = said.parentElement;
    var shown = Array.from(area.childNodes);
    area.replaceChildren();
    window.setTimeout(function () { area.replaceChildren.apply(area, shown); }, 500);
  }
})();

// A link of the error summary takes the focus to its field, with the field's label or the
// question of its group in view when both fit, and leaves the page's address as it was: an address ending in
// "#id_text" would be kept through the redirect after saving, and the page that says the form
// was saved would open scrolled down to its empty box, with the focus in it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#error-summary a[href^='#']");
    if (!link) return;
    var field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) return;
    event.preventDefault();
    // A choice of radios or boxes is asked by its group's legend; any other field by its label.
    var choice = field.type === "radio" || field.type === "checkbox";
    var group = choice ? field.closest("fieldset") : null;
    var label = (group && group.querySelector("legend")) ||
      document.querySelector("label[for='" + CSS.escape(field.id) + "']");
    // The question first, then the field: in a tall form the field stays on screen whatever.
    if (label) label.scrollIntoView({ block: "nearest", behavior: "instant" });
    focusOnScreen(field);
  });
})();

// A text box's limit is the server's to enforce, with a message next to the box: the browser's
// own limit would cut pasted text short without a word (a one-line box's as much as a longer
// one's). While the text is too long, the box says how long it is against its limit, in the
// server's words. A box with a word limit (the 7-minute briefing's parts) always shows its count;
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
      var length = lengthOf(box.value);
      return {
        over: length > limit,
        // As the server says it, beside the same box, when it is sent: maca/wording.py.
        text: length > limit
          ? "This is " + number(length) + " characters, over the limit of " + number(limit) +
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
      // A one-line box too (a heading, a name), not a password's.
      var selector = attribute === "maxlength"
        ? "textarea[maxlength], input[maxlength]:not([type=password]):not([type=search])"
        : "textarea[" + attribute + "]";
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
        box.insertAdjacentElement("afterend", hint);
        // A word count, or a box's length over its limit, changes with every word or character
        // typed: read out each time, it would talk over the typing. It is said once typing
        // pauses, from a region of its own; the words on screen (which the box is described
        // by, so heard on reaching it) follow at once.
        var spoken = document.createElement("div");
        spoken.className = "visually-hidden";
        spoken.id = hint.id + "-spoken";
        hint.insertAdjacentElement("afterend", spoken);
        spoken.setAttribute("aria-live", "polite");
        var pause = null;
        box.setAttribute("aria-describedby", ((box.getAttribute("aria-describedby") || "") + " " + hint.id).trim());
        // A box sent back over its limit already has the server's message beside it: the hint
        // says it again only once the text is changed.
        var saidByServer = attribute === "maxlength" && box.classList.contains("is-invalid") &&
          measures.maxlength(box, limit).over;
        function check() {
          var measured = measures[attribute](box, limit);
          hint.textContent = saidByServer ? "" : measured.text;
          hint.classList.toggle("text-danger", measured.over);
        }
        box.addEventListener("input", function () {
          saidByServer = false;
          check();
          window.clearTimeout(pause);
          pause = window.setTimeout(function () { spoken.textContent = hint.textContent; }, 1000);
        });
        check();
      });
    });
  }
  watch(document);
  document.addEventListener("htmx:load", function (event) { watch(event.detail.elt); });
})();

// htmx swaps replace the element that had the focus. Keyboard users must not be dropped back to
// the top of the page: an inline form that opens (or comes back with errors) takes the focus on
// its error summary or first field; otherwise the focus goes back to the same control, or its
// nearest sensible neighbour, or the first control of what was swapped in.
(function () {
  "use strict";
  var focusedId = null;
  var itemId = null;
  var addId = null;
  var swapped = null;
  var changedId = null;

  // The server names what a change made (a new finding, say): the focus goes there.
  document.addEventListener("maca:focus", function (event) {
    changedId = event.detail && event.detail.id ? String(event.detail.id) : null;
  });

  document.addEventListener("htmx:beforeRequest", function () {
    changedId = null;
    var active = document.activeElement;
    focusedId = active && active.id ? active.id : null;
    var item = active && active.closest ? active.closest("[id^='item-']") : null;
    itemId = item ? item.id : null;
    // An inline form opened by a list's "Add …" link: closed again (Cancel), the focus goes back
    // to that link, not to the first link of the writing area.
    var adding = active && active.closest ? active.closest("[id^='add-']") : null;
    addId = adding ? adding.id : null;
  });

  // An outerHTML swap removes the target: remember where it was, to find what replaced it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    swapped = target ? { id: target.id, parent: target.parentNode, next: target.nextSibling } : null;
  });

  function swappedIn(target) {
    if (target && target.isConnected) return target;
    if (!swapped) return null;
    var same = swapped.id ? document.getElementById(swapped.id) : null;
    if (same) return same;
    if (swapped.next && swapped.next.isConnected) return swapped.next.previousElementSibling;
    return swapped.parent && swapped.parent.isConnected ? swapped.parent.lastElementChild : null;
  }

  function inlineForm(element) {
    if (!element || !element.querySelector) return null;
    if (element.matches("form.item-form")) return element;
    if (element.matches("tr")) return element.querySelector("form[hx-post]");  // a row edited in place
    return element.querySelector("form.item-form:not([data-kept])");  // not one kept open (below)
  }

  function lost() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var content = swappedIn(event.detail.target);
    var form = inlineForm(content);
    if (form) {
      var summary = form.querySelector("#error-summary");
      var field = form.querySelector("textarea, input:not([type=hidden]), select");
      focusOnScreen(summary || field || form);
      return;
    }
    if (!lost()) return;
    var same = focusedId ? document.getElementById(focusedId) : null;
    if (same && !same.disabled) {
      focusOnScreen(same);
      return;
    }
    // A move button at the end of the list is disabled: go to its opposite number instead.
    var opposite = focusedId ? focusedId.replace(/^(up|down)-/, function (m, way) {
      return (way === "up" ? "down" : "up") + "-";
    }) : null;
    var other = opposite && opposite !== focusedId ? document.getElementById(opposite) : null;
    if (other && !other.disabled) {
      focusOnScreen(other);
      return;
    }
    var changed = changedId ? document.getElementById(changedId) : null;
    var item = changed || (itemId ? document.getElementById(itemId) : null) ||
      (addId ? document.getElementById(addId) : null) || content;
    if (item && item !== document.body) {
      var control = item.querySelector("button:not([disabled]), a[href]");
      if (control) {
        focusOnScreen(control);
      } else {
        item.tabIndex = -1;
        focusOnScreen(item);
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

  // The warning is a small dialog fixed on screen, wherever the page is scrolled to: it takes
  // the focus (on "Stay signed in"), and gives it back to where it was when it closes.
  var returnFocus = null;

  // "in 2 minutes (at 14:32)": how long is left, and when that is, for someone who comes back.
  function whenSignedOut(secondsLeft) {
    var left = Math.max(1, Math.ceil(secondsLeft));
    var minutes = Math.round(left / 60);
    var inWords = left >= 60
      ? minutes + (minutes === 1 ? " minute" : " minutes")
      : left + (left === 1 ? " second" : " seconds");
    var at = new Date(Date.now() + left * 1000);
    var clock = String(at.getHours()).padStart(2, "0") + ":" + String(at.getMinutes()).padStart(2, "0");
    return "in " + inWords + " (at " + clock + ")";
  }

  // The signed-out message leads to the sign-in page, in a new tab so that what is typed here
  // stays to be copied; not when the page already has such a link.
  function signInLink() {
    var login = body.dataset.loginUrl;
    if (!login || document.querySelector("a[href^='" + login + "']")) return null;
    var link = document.createElement("a");
    link.className = "btn btn-sm btn-primary";
    link.href = login + "?next=" + encodeURIComponent(window.location.pathname + window.location.search);
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "Sign in again in a new tab";
    return link;
  }

  function showBanner(text, withButton, withSignIn) {
    if (!banner) {
      returnFocus = document.activeElement;
      banner = document.createElement("div");
      banner.className = "alert alert-warning d-flex flex-wrap align-items-center gap-2 m-0 session-warning";
      banner.setAttribute("role", "alertdialog");
      banner.setAttribute("aria-labelledby", "session-warning-text");
      banner.tabIndex = -1;
      banner.id = "session-warning";
      body.insertBefore(banner, body.firstChild);
    }
    banner.textContent = "";
    var message = document.createElement("p");
    message.className = "m-0";
    message.id = "session-warning-text";
    message.textContent = text;
    banner.appendChild(message);
    var button = null;
    if (withButton) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-primary";
      button.textContent = "Stay signed in";
      button.addEventListener("click", function () { keepAlive(true); });
      banner.appendChild(button);
    }
    var link = withSignIn ? signInLink() : null;
    if (link) banner.appendChild(link);
    (button || link || banner).focus();
  }

  function hideBanner() {
    if (!banner) return;
    var hadFocus = banner.contains(document.activeElement);
    banner.remove();
    banner = null;
    if (!hadFocus) return;
    var back = returnFocus && returnFocus.isConnected && returnFocus !== body ? returnFocus : document.getElementById("main");
    if (back) back.focus();
  }

  function signedOut() {
    ended = true;
    showBanner("You have been signed out because the page was left idle. Copy anything you have " +
      "typed and not saved, then sign in again in a new tab.", false, true);
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
      showBanner("You will be signed out " + whenSignedOut(idle - quiet) +
        " because nothing has been sent for a while.", true);
    }
  }, 1000);
})();

// Learning tags: a long list of boxes per item becomes a short one. The ticked tags show, and a
// box above them finds the others as you type ("voice" shows "Voice of the child"). Without
// scripts, every box shows.
(function () {
  "use strict";
  function enhance(root) {
    var boxes = Array.from(root.querySelectorAll("input[type=checkbox][data-tag-picker]"));
    var groups = {};
    boxes.forEach(function (box) { (groups[box.name] = groups[box.name] || []).push(box); });
    Object.keys(groups).forEach(function (name) {
      var options = groups[name].map(function (box) { return box.closest(".form-check") || box.parentElement; });
      var first = options[0];
      if (!first || first.parentElement.querySelector("[data-tag-filter]")) return;
      var finder = document.createElement("input");
      finder.type = "search";
      finder.className = "form-control form-control-sm mb-1";
      finder.setAttribute("data-tag-filter", "");
      finder.setAttribute("aria-label", "Find a tag to add");
      finder.placeholder = "Type to find a tag";
      var status = document.createElement("div");
      status.className = "visually-hidden";
      status.setAttribute("aria-live", "polite");
      // Said where it shows when nothing is found, with the way to a new tag when this page
      // has the form for one (the chair's).
      var none = document.createElement("div");
      none.className = "form-text mb-1";
      none.hidden = true;
      first.parentElement.insertBefore(finder, first);
      first.parentElement.insertBefore(status, first);
      first.parentElement.insertBefore(none, first);
      function show() {
        var typed = finder.value.trim().toLowerCase();
        var matching = 0;
        groups[name].forEach(function (box, index) {
          var label = options[index].textContent.trim().toLowerCase();
          var hit = typed !== "" && label.indexOf(typed) !== -1;
          matching += hit ? 1 : 0;
          options[index].hidden = !(box.checked || hit);
        });
        status.textContent = typed ? matching + " tag" + (matching === 1 ? "" : "s") + " found" : "";
        none.hidden = !(typed && matching === 0);
        none.textContent = "No tag has these words. ";
        var newTag = document.getElementById("new-tag-heading");
        if (newTag) {
          var link = document.createElement("a");
          link.href = "#new-tag-heading";
          link.textContent = "Add a new learning tag";
          none.appendChild(link);
          none.appendChild(document.createTextNode(" at the foot of this page, then tick it here."));
        } else {
          none.appendChild(document.createTextNode("The chair can add a new learning tag."));
        }
      }
      finder.addEventListener("input", show);
      finder.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault();  // Enter finds; it does not save
      });
      groups[name].forEach(function (box) { box.addEventListener("change", show); });
      show();
    });
  }
  enhance(document);
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();

// A table wider than the screen scrolls inside its box. While it does, the box is a named
// region in the tab order, so that keyboard users can reach it and scroll it with the arrow
// keys; when it fits, it is neither (no tab stop that does nothing). Named by the table's own
// name, or by the section it sits in.
(function () {
  "use strict";
  var MARK = "scrollBox";

  function nameOf(box) {
    var table = box.querySelector("table");
    if (table && table.getAttribute("aria-labelledby")) return table.getAttribute("aria-labelledby");
    var caption = table ? table.querySelector("caption") : null;
    if (caption) {
      if (!caption.id) caption.id = "caption-" + Math.random().toString(36).slice(2, 10);
      return caption.id;
    }
    var section = box.closest("[aria-labelledby]");
    return section ? section.getAttribute("aria-labelledby") : null;
  }

  function update(box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.dataset[MARK]) {
      box.dataset[MARK] = "1";
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      var labelledby = nameOf(box);
      if (labelledby) box.setAttribute("aria-labelledby", labelledby);
      else box.setAttribute("aria-label", "Table");
    } else if (!scrolls && box.dataset[MARK]) {
      delete box.dataset[MARK];
      ["tabindex", "role", "aria-labelledby", "aria-label"].forEach(function (name) {
        box.removeAttribute(name);
      });
    }
  }

  var observer = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { update(entry.target); });
  }) : null;

  function watch(root) {
    var boxes = Array.from(root.querySelectorAll(".table-responsive"));
    if (root.matches && root.matches(".table-responsive")) boxes.push(root);
    boxes.forEach(function (box) {
      update(box);
      if (observer) observer.observe(box);
    });
  }
  watch(document);
  window.addEventListener("resize", function () { watch(document); });
  document.addEventListener("htmx:load", function (event) { watch(event.detail.elt); });
})();

// Text typed into a form whose sending found the session ended is kept in this tab
// (sessionStorage, never sent anywhere) and offered back on the page the person returns to
// after signing in again: put back into the same form when it is on the page, otherwise shown
// to copy. A page part (htmx) learns of the end from a 401; a whole-page form from landing on
// the sign-in page straight after it was sent.
(function () {
  "use strict";
  var KEY = "maca:unsaved";
  var KEEP_FOR_MS = 30 * 60 * 1000;
  var store = window.sessionStorage;
  var signIn = document.getElementById("login-form");

  function typed(form) {
    var fields = [];
    form.querySelectorAll("textarea, input").forEach(function (field) {
      var kind = (field.getAttribute("type") || "text").toLowerCase();
      var textual = field.tagName === "TEXTAREA" || ["text", "search", "email", "url", "date", "number"].indexOf(kind) !== -1;
      if (!textual || !field.name || !field.value.trim()) return;
      var label = field.labels && field.labels[0] ? field.labels[0].textContent.trim() : field.name;
      fields.push({ name: field.name, label: label, value: field.value });
    });
    return fields;
  }

  function keep(form, signedOut) {
    var fields = typed(form);
    if (!fields.length) return;
    var action = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    store.setItem(KEY, JSON.stringify({
      action: action.pathname + action.search,
      fields: fields,
      signedOut: signedOut,
      user: document.body.dataset.userId || "",
      at: Date.now()
    }));
  }

  // A part of the page that asks again every few seconds (an import's progress) stops asking
  // once it is refused (its person lost the role, say), and says so instead of asking on. A
  // server error or an outage (5xx) is not a refusal: it goes on asking.
  document.addEventListener("htmx:responseError", function (event) {
    var polled = event.detail.elt;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status !== 403 && status !== 404) return;
    if (!polled || !polled.dataset || !polled.dataset.refusedText) return;
    var said = document.createElement("div");
    said.className = "alert alert-warning";
    said.setAttribute("role", "alert");
    said.textContent = polled.dataset.refusedText;
    polled.replaceWith(said);
  });

  document.addEventListener("htmx:beforeOnLoad", function (event) {
    if (event.detail.xhr.status !== 401) return;
    var element = event.detail.elt;
    var form = element && element.closest ? element.closest("form") : null;
    if (form) keep(form, true);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "logout-form") {
      store.removeItem(KEY);  // signing out on purpose: nothing is kept for whoever comes next
      return;
    }
    if (form === signIn || (form.method || "").toLowerCase() !== "post" || form.hasAttribute("hx-post")) return;
    keep(form, false);
  });

  var kept = null;
  try { kept = JSON.parse(store.getItem(KEY) || "null"); } catch (error) { kept = null; }
  if (!kept) return;
  if (signIn) {
    kept.signedOut = true;  // the form was sent and sign-in was asked for: keep it for later
    store.setItem(KEY, JSON.stringify(kept));
    return;
  }
  store.removeItem(KEY);
  if (!kept.signedOut || !Array.isArray(kept.fields)) return;  // it was sent and saved
  // Offered back only to the person who typed it, and only for half an hour.
  if (kept.user && kept.user !== (document.body.dataset.userId || "")) return;
  if (!(Date.now() - kept.at < KEEP_FOR_MS)) return;
  offerBack(kept);

  function sameForm(action) {
    var forms = document.querySelectorAll("main form[method=post], main form[method=POST]");
    for (var i = 0; i < forms.length; i++) {
      var url = new URL(forms[i].getAttribute("action") || window.location.href, window.location.href);
      if (url.pathname + url.search === action) return forms[i];
    }
    return null;
  }

  function offerBack(saved) {
    var main = document.getElementById("main");
    if (!main) return;
    var panel = document.createElement("section");
    panel.className = "alert alert-warning";
    panel.setAttribute("aria-labelledby", "unsaved-heading");
    var heading = document.createElement("h2");
    heading.className = "h5";
    heading.id = "unsaved-heading";
    heading.textContent = "What you typed before you were signed out";
    panel.appendChild(heading);
    var form = sameForm(saved.action);
    var intro = document.createElement("p");
    intro.textContent = form
      ? "It was not saved. Put it back into the form below, check it, and save it again."
      : "It was not saved. Copy what you need, then open the form again and paste it in.";
    panel.appendChild(intro);
    saved.fields.forEach(function (field, index) {
      var label = document.createElement("label");
      label.className = "form-label fw-semibold";
      label.htmlFor = "unsaved-" + index;
      label.textContent = String(field.label);
      var box = document.createElement("textarea");
      box.className = "form-control mb-2";
      box.id = "unsaved-" + index;
      box.readOnly = true;
      box.rows = 3;
      box.value = String(field.value);
      panel.appendChild(label);
      panel.appendChild(box);
    });
    var buttons = document.createElement("div");
    buttons.className = "d-flex gap-2";
    if (form) {
      var restore = document.createElement("button");
      restore.type = "button";
      restore.className = "btn btn-primary btn-sm";
      restore.textContent = "Put it back in the form";
      restore.addEventListener("click", function () {
        saved.fields.forEach(function (field) {
          var target = form.elements.namedItem(field.name);
          if (target && "value" in target) target.value = field.value;
        });
        panel.remove();
        var first = form.querySelector("textarea, input:not([type=hidden])");
        if (first) first.focus();
      });
      buttons.appendChild(restore);
    }
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "btn btn-outline-dark btn-sm";
    discard.textContent = "Discard it";
    discard.addEventListener("click", function () { panel.remove(); main.focus(); });
    buttons.appendChild(discard);
    panel.appendChild(buttons);
    main.insertBefore(panel, main.firstChild);
    heading.tabIndex = -1;
    heading.focus();
  }
})();

// The writing area is drawn again after each change saved in place: a form still open elsewhere
// in it, with what was typed, is put back where it was (in the item it edits, or the list it
// adds to), the same form holding the same words, not closed and emptied.
(function () {
  "use strict";
  var kept = [];
  var typing = null;  // where the cursor was, when it was in a kept form

  document.addEventListener("htmx:beforeSwap", function (event) {
    kept = [];
    typing = null;
    var area = event.detail.target;
    if (!area || area.id !== "authoring" || !event.detail.shouldSwap) return;
    var sender = event.detail.requestConfig ? event.detail.requestConfig.elt : null;
    var sent = sender && sender.closest ? sender.closest("form") : null;
    var active = document.activeElement;
    area.querySelectorAll("form.item-form").forEach(function (form) {
      var place = form.parentElement;
      if (form === sent || !place || !place.id) return;
      kept.push({ form: form, place: place.id });
      if (active && form.contains(active)) {
        typing = { field: active, start: active.selectionStart, end: active.selectionEnd };
      }
    });
  });

  document.addEventListener("htmx:afterSwap", function () {
    kept.forEach(function (open) {
      var place = document.getElementById(open.place);
      if (!place) return;  // the item it edited was deleted meanwhile
      open.form.setAttribute("data-kept", "");
      place.replaceChildren(open.form);
      htmx.process(open.form);  // htmx let go of it with the area it was in
    });
    // Someone typing in one form while another was saved goes on typing where they were.
    if (typing && typing.field.isConnected) {
      typing.field.focus({ preventScroll: true });
      if (typeof typing.start === "number" && typing.field.setSelectionRange) {
        typing.field.setSelectionRange(typing.start, typing.end);
      }
    }
    kept = [];
    typing = null;
  });
})();

// The menu opened on a narrow screen closes with Escape, from its button or from any of its
// links, and the focus goes back to its button.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = document.getElementById("main-nav");
    var button = document.querySelector("[data-bs-target='#main-nav']");
    if (!menu || !button || !menu.classList.contains("show")) return;
    if (!menu.contains(document.activeElement) && document.activeElement !== button) return;
    bootstrap.Collapse.getOrCreateInstance(menu, { toggle: false }).hide();
    button.focus();
  });
})();
