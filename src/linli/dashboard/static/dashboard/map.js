/* The command centre's map (dashboard/map.html): <div id="dmap" data-url data-tiles
   data-text-*>, with Leaflet, Leaflet.markercluster and Leaflet.heat (vendor/).
   It fetches the GeoJSON of maps.map_data: unit outlines, open alarms and open appeals.
   With no tile URL the outlines are drawn on a plain background. No inline script or
   style (CSP): markers are divIcons coloured by CSS classes (map.css), popups are built
   with DOM nodes and textContent. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(href, text) {
    var a = el("a", "", text);
    a.href = href;
    return a;
  }

  function appealPopup(p, t) {
    var box = el("div");
    box.appendChild(el("div", "", p.code + " · " + p.title));
    box.appendChild(el("div", "muted", p.status_label + " · " + p.level_label + " · " + p.category_label));
    if (p.overdue) box.appendChild(el("div", "bad", t.overdue));
    box.appendChild(link(p.url, t.open));
    return box;
  }

  function alarmPopup(p, t) {
    var box = el("div");
    box.appendChild(el("div", "", t.alarm + " #" + p.id + " · " + p.unit_label));
    box.appendChild(el("div", "muted", p.status_label + " · " + p.minutes + " " + t.minutes));
    box.appendChild(link(p.url, t.open));
    return box;
  }

  function icon(L, p) {
    var cls = "mk";
    var text = "";
    if (p.kind === "alarm") {
      cls += " alarm";
      text = "!";
    } else {
      cls += " st-" + p.status + (p.overdue ? " overdue" : "") + (p.urgent ? " urgent" : "");
      text = p.level_mark;
    }
    var span = el("div", cls, text);
    return L.divIcon({html: span.outerHTML, className: "mk-wrap", iconSize: [24, 24], iconAnchor: [12, 12]});
  }

  // The map, made once (`draw`); its points are filled again on each live change
  // (`fill`), without moving the view.
  var state = null;

  function fill(root, data) {
    var L = window.L;
    var t = root.dataset;
    var text = {
      overdue: t.textOverdue, open: t.textOpen, alarm: t.textAlarm, minutes: t.textMinutes,
      drill: t.textDrill
    };
    state.clusters.clearLayers();
    state.alarms.clearLayers();
    var heatPoints = [];
    var bounds = L.latLngBounds([]);
    data.features.forEach(function (f) {
      var p = f.properties;
      if (p.kind === "boundary") {
        if (!state.filled) state.units.addData(f);
        return;
      }
      var ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
      bounds.extend(ll);
      var marker = L.marker(ll, {icon: icon(L, p), title: p.kind === "alarm" ? text.alarm : p.code,
        zIndexOffset: p.kind === "alarm" ? 1000 : 0});
      marker.bindPopup(p.kind === "alarm" ? alarmPopup(p, text) : appealPopup(p, text));
      if (p.kind === "alarm") {
        state.alarms.addLayer(marker);
      } else {
        state.clusters.addLayer(marker);
        heatPoints.push([ll.lat, ll.lng, p.overdue ? 1 : 0.6]);
      }
    });
    if (state.heat) state.heat.setLatLngs(heatPoints);
    var status = document.getElementById("dmap-status");
    if (status) {
      var left = data.omitted.appeals + data.omitted.alarms;
      status.textContent = left ? t.textOmitted + " " + left : "";
    }
    root.dataset.points = String(data.counts.appeals + data.counts.alarms);
    root.dataset.codes = data.features
      .filter(function (f) { return f.properties.kind === "appeal"; })
      .map(function (f) { return f.properties.code; }).join(" ");
    var first = !state.filled;
    state.filled = true;
    return {bounds: bounds, first: first};
  }

  function draw(root, data) {
    var L = window.L;
    var t = root.dataset;
    var text = {drill: t.textDrill};
    // maxZoom: markercluster needs one, and without tiles no layer brings it.
    // The controls in the page's language: the zoom buttons' and the layers' titles
    // are English in the library. No "Leaflet" link in the corner: a 14 px link is no
    // target for a thumb (the library's licence travels with its file).
    var map = L.map(root, {zoomSnap: 0.5, maxZoom: 19, minZoom: 3, zoomControl: false});
    L.control.zoom({zoomInTitle: t.textZoomIn, zoomOutTitle: t.textZoomOut}).addTo(map);
    map.attributionControl.setPrefix(false);
    if (t.tiles) L.tileLayer(t.tiles, {maxZoom: 19}).addTo(map);

    var units = L.geoJSON(null, {
      style: function (f) {
        return f.properties.role === "self"
          ? {color: "#2b5b3c", weight: 3, fill: true, fillColor: "#ffffff", fillOpacity: 0.6}
          : {color: "#2f9e44", weight: 1.5, dashArray: "4 3", fill: true, fillColor: "#d3f9d8", fillOpacity: 0.35};
      },
      onEachFeature: function (f, layer) {
        if (f.properties.role === "child") {
          // The children carry their names, so one sees where to drill down.
          layer.bindTooltip(f.properties.name, {permanent: true, direction: "center", className: "unit-label"});
          var box = el("div");
          box.appendChild(el("div", "", f.properties.name));
          var params = new URLSearchParams({unit: f.properties.id});
          if (t.category) params.set("category", t.category);
          box.appendChild(link(t.page + "?" + params.toString(), text.drill));
          layer.bindPopup(box);
        } else {
          layer.bindTooltip(f.properties.name, {sticky: true});
        }
      }
    }).addTo(map);

    state = {
      map: map,
      units: units,
      clusters: L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 50}),
      alarms: L.layerGroup(),
      heat: L.heatLayer ? L.heatLayer([], {radius: 28, blur: 20, minOpacity: 0.3}) : null,
      filled: false
    };
    var drawn = fill(root, data);
    state.clusters.addTo(map);
    state.alarms.addTo(map);
    var overlays = {};
    overlays[t.textUnits] = units;
    overlays[t.textAppeals] = state.clusters;
    overlays[t.textAlarms] = state.alarms;
    if (state.heat) {
      overlays[t.textHeat] = state.heat;
      if (t.category) state.heat.addTo(map);
    }
    var layers = L.control.layers(null, overlays, {collapsed: window.innerWidth < 600}).addTo(map);
    var toggle = layers.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle) {
      toggle.title = t.textLayers;
      toggle.setAttribute("aria-label", t.textLayers);
    }

    var self = null;
    units.eachLayer(function (layer) {
      if (layer.feature.properties.role === "self") self = layer.getBounds();
    });
    if (self) map.fitBounds(self, {padding: [10, 10]});
    else if (units.getLayers().length) map.fitBounds(units.getBounds(), {padding: [10, 10]});
    else if (drawn.bounds.isValid()) map.fitBounds(drawn.bounds, {padding: [20, 20], maxZoom: 15});
    else map.setView([0, 0], 2);
    root.dataset.ready = "1";
  }

  function load(root, then) {
    return fetch(root.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(then);
  }

  function start() {
    var root = document.getElementById("dmap");
    if (!root || !window.L) return;
    load(root, function (data) { draw(root, data); })
      .catch(function (error) {
        if (window.console) window.console.error("map:", error);
        var status = document.getElementById("dmap-status");
        if (status) status.textContent = root.dataset.textError;
        root.dataset.ready = "error";
      });
    // Live (dashboard/live.js): a new appeal, a transition or an alarm of this unit's
    // subtree fetches the points again (a burst within 0.3 s is one fetch).
    var timer = null;
    document.body.addEventListener("centre-changed", function () {
      if (timer || !state) return;
      timer = setTimeout(function () {
        timer = null;
        load(root, function (data) { fill(root, data); }).catch(function (error) {
          if (window.console) window.console.error("map refresh:", error);
        });
      }, 300);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
