/* "Use my current location": a <button data-geolocate> fills the inputs its
   data-lat / data-lng name (ids) and writes how it went into data-note, with the
   texts of data-text-unavailable, data-text-added and data-text-failed. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button[data-geolocate]") : null;
    if (!button) return;
    var data = button.dataset;
    var note = document.getElementById(data.note);
    function say(text) { if (note) note.textContent = text || ""; }
    if (!navigator.geolocation) { say(data.textUnavailable); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById(data.lat).value = pos.coords.latitude.toFixed(6);
      document.getElementById(data.lng).value = pos.coords.longitude.toFixed(6);
      say(data.textAdded);
    }, function () { say(data.textFailed); }, {timeout: 10000});
  });
})();
