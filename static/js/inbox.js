// The inbox's keyboard: move through the queue, open, reply, call, mark done, search, help.
// The page works without it; every shortcut has a link or button on the row.
(function () {
  "use strict";

  var queue = document.querySelector("[data-inbox-queue]");
  if (!queue) return;
  var dialog = document.querySelector("[data-inbox-dialog]");
  var selectedKey = null;
  var returnFocus = null;

  function rows() {
    return Array.prototype.slice.call(queue.querySelectorAll("[data-inbox-row]"));
  }

  function current() {
    return rows().find(function (row) { return row.dataset.key === selectedKey; }) || null;
  }

  // The selection is the focus: the selected row's name link holds it, so the focus ring shows
  // where you are and Enter opens it like any link.
  function select(row, focus) {
    rows().forEach(function (other) { other.classList.toggle("is-selected", other === row); });
    selectedKey = row ? row.dataset.key : null;
    if (row && focus !== false) {
      row.querySelector("[data-inbox-open]").focus();
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(current());
    var next = index === -1 ? (step > 0 ? 0 : all.length - 1) : index + step;
    select(all[Math.max(0, Math.min(all.length - 1, next))]);
  }

  function go(anchor) {
    var row = current();
    if (row) window.location.assign(row.dataset.href + anchor);
  }

  function markDone() {
    var row = current();
    var button = row && row.querySelector("[data-inbox-done]");
    if (button) button.click();
  }

  function isTyping(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  var keys = {
    j: function () { move(1); },
    ArrowDown: function () { move(1); },
    k: function () { move(-1); },
    ArrowUp: function () { move(-1); },
    o: function () { go(""); },
    Enter: function () { go(""); },
    r: function () { go("#reply"); },
    c: function () { go("#call"); },
    e: markDone,
    d: markDone,
    "/": function () { document.getElementById("inbox_q").focus(); },
    "?": openHelp
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (dialog && dialog.open) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape" && event.target.id === "inbox_q") event.target.blur();
      return;
    }
    var action = keys[event.key];
    if (!action) return;
    // Enter on a link or button (the selected row's name link too) does what it always does.
    if (event.key === "Enter" && event.target.closest("a, button, summary")) return;
    event.preventDefault();
    action();
  });

  // Clicking or tabbing into a row selects it.
  queue.addEventListener("focusin", function (event) {
    var row = event.target.closest("[data-inbox-row]");
    if (row) select(row, false);
  });

  // A live refresh replaces the rows: keep the same lead selected, and the focus on it.
  var hadFocus = false;
  queue.addEventListener("htmx:beforeSwap", function () {
    hadFocus = queue.contains(document.activeElement);
  });
  queue.addEventListener("htmx:afterSwap", function () {
    var row = current();
    if (row) select(row, hadFocus);
    else if (hadFocus) move(1);
  });

  // The help overlay: a modal <dialog>; Tab stays inside it and Esc closes it.
  function openHelp() {
    if (!dialog) return;
    returnFocus = document.activeElement;
    dialog.showModal();
    dialog.querySelector("[data-dialog-close]").focus();
  }

  if (dialog) {
    document.querySelectorAll("[data-inbox-help]").forEach(function (button) {
      button.addEventListener("click", openHelp);
    });
    dialog.querySelector("[data-dialog-close]").addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("close", function () {
      if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close(); // a click on the backdrop
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key !== "Tab") return;
      var focusable = dialog.querySelectorAll("button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])");
      var first = focusable[0];
      var last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
  }
})();
