// LeadFollow form embed: add to a page that has
//   <iframe src="https://…/f/<token>/" data-leadfollow-form></iframe>
// and the frame grows and shrinks with the form inside it. Without this script the frame
// keeps the height it was given.
(function () {
  "use strict";
  var MIN = 240;
  var MAX = 4000;
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data.leadfollowFormHeight !== "number") return;
    var frames = document.querySelectorAll("iframe[data-leadfollow-form]");
    for (var i = 0; i < frames.length; i++) {
      // Only the frame that sent the message is resized.
      if (frames[i].contentWindow === event.source) {
        var height = Math.min(MAX, Math.max(MIN, Math.ceil(data.leadfollowFormHeight)));
        frames[i].style.height = height + "px";
      }
    }
  });
})();
