// Leads list: "select all" and a live count of the selected leads. The bulk form works without it.
(function () {
  "use strict";
  if (window.leadfollowLeadsList) return; // htmx history restores may load this page twice
  window.leadfollowLeadsList = true;

  function boxes(form) {
    return Array.prototype.slice.call(form.querySelectorAll('input[name="lead_ids"]'));
  }

  function refresh(form) {
    var all = boxes(form);
    var picked = all.filter(function (box) { return box.checked; }).length;
    var header = form.querySelector("[data-check-all]");
    if (header) {
      header.checked = all.length > 0 && picked === all.length;
      header.indeterminate = picked > 0 && picked < all.length;
    }
    var count = form.querySelector("[data-bulk-count]");
    if (count) {
      count.textContent = picked
        ? picked + (picked === 1 ? " lead selected" : " leads selected")
        : "Select leads to assign them or change their status.";
    }
    var bar = form.querySelector("[data-bulkbar]");
    if (bar) bar.classList.toggle("bulkbar--active", picked > 0);
  }

  // With this script the phone layout can hide the bulk controls until a lead is selected.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("lead-bulk");
    if (form) form.classList.add("js-bulk");
  });

  document.addEventListener("change", function (event) {
    var form = event.target.closest("#lead-bulk");
    if (!form) return;
    if (event.target.matches("[data-check-all]")) {
      boxes(form).forEach(function (box) { box.checked = event.target.checked; });
    }
    refresh(form);
  });

  // Filters left empty stay out of the address bar: "?status=new", not "?status=new&owner=&…".
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "lead-filters") return;
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (name) {
      if (params[name] === "") delete params[name];
    });
  });

  // "Back" restores an HTML snapshot taken when the filters had already changed: set them from
  // the address, which is what the restored table shows.
  document.addEventListener("htmx:historyRestore", function () {
    var form = document.getElementById("lead-filters");
    if (!form) return;
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.type !== "hidden") field.value = params.get(field.name) || "";
    });
  });

  // A new page of the table starts with nothing selected.
  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.target.closest && event.target.closest("#lead-bulk");
    if (form) refresh(form);
  });
})();
