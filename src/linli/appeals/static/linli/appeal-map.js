/* The appeal's place on a map: <div id="map" data-lat data-lng data-tiles>, with
   Leaflet (vendor/leaflet.js). With no tile URL the map shows just the marker. */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("map");
    if (!el || !window.L) return;
    var point = [+el.dataset.lat, +el.dataset.lng];
    var map = window.L.map(el).setView(point, 16);
    if (el.dataset.tiles) window.L.tileLayer(el.dataset.tiles, {maxZoom: 19}).addTo(map);
    window.L.marker(point).addTo(map);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
