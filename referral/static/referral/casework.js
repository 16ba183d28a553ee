/* Progressive enhancement for the case-work pages; every page works
 * without it. The screening interview shows how many indicators are ticked
 * (announced politely to screen readers). */
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
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "codes") {
      update();
    }
  });
  update();
})();
