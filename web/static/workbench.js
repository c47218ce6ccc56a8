// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // 办结: the reason field matters only for "unresolvable"; show it when that is chosen.
  document.querySelectorAll("select[data-unresolvable]").forEach(function (select) {
    var field = select.form && select.form.querySelector("label.unresolvable");
    if (!field) { return; }
    var wanted = select.getAttribute("data-unresolvable");
    var sync = function () {
      var on = select.value === wanted;
      field.hidden = !on;
      field.querySelector("textarea").required = on;
    };
    select.addEventListener("change", sync);
    sync();
  });
})();
