/* Progressive enhancement for the case-work pages; every page works
 * without it. The screening interview shows how many indicators are ticked
 * (announced politely to screen readers), in all and per section. */
(function () {
  "use strict";

  var form = document.getElementById("screening-form");
  var counter = document.getElementById("ticked-count");
  if (!form || !counter) {
    return;
  }
  var label = counter.getAttribute("data-label") || "";

  function update() {
    var ticked = form.querySelectorAll('input[name="codes"]:checked').length;
    counter.textContent = label + " " + String(ticked);
    // The section index shows how many are ticked in each section.
    var badges = document.querySelectorAll("[data-section-ticked]");
    Array.prototype.forEach.call(badges, function (badge) {
      var section = form.querySelector(
        '[data-section="' + badge.getAttribute("data-section-ticked") + '"]'
      );
      var n = section
        ? section.querySelectorAll('input[name="codes"]:checked').length
        : 0;
      badge.textContent = label + " " + String(n);
      badge.hidden = n === 0;
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "codes") {
      update();
    }
  });
  update();
})();
