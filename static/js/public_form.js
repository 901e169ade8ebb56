// The hosted lead form. Inside a frame, it tells the embedding page how tall it is, so
// static/js/embed.js can size the frame without scrollbars. The form works without it.
(function () {
  "use strict";
  if (window.parent === window) return;
  document.documentElement.classList.add("is-framed");
  var last = 0;
  function report() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    // Only a height is sent, so any embedding page may read it.
    window.parent.postMessage({ leadfollowFormHeight: height }, "*");
  }
  window.addEventListener("load", report);
  if (window.ResizeObserver) {
    new ResizeObserver(report).observe(document.documentElement);
  }
})();
