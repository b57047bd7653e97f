/* Behaviour every page shares, kept out of the markup: the Content-Security-Policy
   allows no inline script or event handler (settings.CONTENT_SECURITY_POLICY). */
(function () {
  "use strict";
  // A <select data-autosubmit> sends its form when changed (the footer's language).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
})();
