/* The resident's report page: Enter in the place search looks the name up (htmx's
   "search" trigger on the input); it does not send the report. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target && e.target.id === "id_place_q") {
      e.preventDefault();
      if (window.htmx) window.htmx.trigger(e.target, "search");
    }
  });
})();
