// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Plain forms ask before destructive actions (htmx forms use hx-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Copy buttons: data-copy="#selector".
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Close open menus on Escape or a click elsewhere.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details.menu"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null);
  });

  // Sign-up: preselect the browser's time zone while the field is untouched.
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("form[data-guess-tz] select[name=time_zone]");
    if (!select) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (select.value === "UTC" && zone && select.querySelector('option[value="' + zone + '"]')) {
      select.value = zone;
    }
  });
})();

// SLA countdowns: <time data-countdown datetime="…" data-warn-at="…"> ticks every second,
// turns to "breaching" at the warning time and to "overdue" at the deadline.
(function () {
  "use strict";

  function span(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    if (h) return h + "h " + (m < 10 ? "0" : "") + m + "m";
    return m + "m " + (s < 10 ? "0" : "") + s + "s";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (clock) {
      var due = Date.parse(clock.getAttribute("datetime"));
      if (isNaN(due)) return;
      var warnAt = Date.parse(clock.getAttribute("data-warn-at") || "");
      var left = Math.round((due - now) / 1000);
      var text = left > 0 ? span(left) + " left" : span(-left) + " overdue";
      if (clock.textContent !== text) clock.textContent = text;
      clock.classList.toggle("countdown--late", left <= 0);
      clock.classList.toggle("countdown--warn", left > 0 && !isNaN(warnAt) && now >= warnAt);
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 1000);
})();

// Lead page action tabs: [data-tabs] shows the panel the URL's #hash names (else the first),
// so links to #reply or #call open that panel. Without this script every panel shows.
(function () {
  "use strict";

  function showTabs() {
    var id = window.location.hash.slice(1);
    document.querySelectorAll("[data-tabs]").forEach(function (container) {
      var panels = Array.prototype.slice.call(container.querySelectorAll("[data-tab-panel]"));
      if (!panels.length) return;
      var active = panels.filter(function (panel) { return panel.id === id; })[0] || panels[0];
      panels.forEach(function (panel) { panel.hidden = panel !== active; });
      container.querySelectorAll("[data-tab]").forEach(function (tab) {
        if (tab.getAttribute("href") === "#" + active.id) {
          tab.setAttribute("aria-current", "true");
        } else {
          tab.removeAttribute("aria-current");
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", showTabs);
  window.addEventListener("hashchange", showTabs);
  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-tab]");
    if (!tab) return;
    event.preventDefault();
    history.replaceState(null, "", tab.getAttribute("href"));
    showTabs();
  });
  // An action's answer swapped into a panel (e.g. "Remind me then" fills the task panel)
  // becomes the panel shown.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.hasAttribute("data-tab-panel") && target.hidden) {
      history.replaceState(null, "", "#" + target.id);
    }
  });
  document.addEventListener("htmx:afterSettle", showTabs);
})();

// Tasks page: a finished task's row goes away; keep the keyboard in the list by moving focus to
// the next task's outcome (or the previous one's, or the "Done" message when none is left).
(function () {
  "use strict";
  var pending = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var row = event.detail.target;
    if (!row.classList || !row.classList.contains("taskrow") || !row.contains(document.activeElement)) return;
    if (event.detail.serverResponse.indexOf('id="' + row.id + '"') !== -1) return; // row stays
    var rows = Array.prototype.slice.call(document.querySelectorAll(".taskrow"));
    var index = rows.indexOf(row);
    var neighbour = rows[index + 1] || rows[index - 1];
    pending = neighbour ? neighbour.querySelector("select") : document.getElementById("task-status");
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pending) return;
    pending.focus();
    pending = null;
  });
})();

// Polling regions (data-poll-when-visible) skip their refresh while the tab is in the background:
// nobody reads it, and every open tab would otherwise cost the server a request every few seconds.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && event.detail.elt.hasAttribute("data-poll-when-visible")) {
      event.preventDefault();
    }
  });
})();
