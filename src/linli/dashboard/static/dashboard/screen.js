// The big screen (dashboard/screen.html): a clock, the views rotating every
// data-rotate seconds (the dots jump to one and restart the turn), full screen on a tap,
// and live figures: on each change of the unit's appeals or alarms (dashboard/live.js)
// the page is fetched again and the figures and the alarm list replaced (the map
// refreshes itself, map.js).
(function () {
  "use strict";
  var body = document.body;
  var views = Array.prototype.slice.call(document.querySelectorAll(".screen-view"));
  if (!views.length) return;
  var seconds = parseInt(body.getAttribute("data-rotate"), 10) || 20;
  var current = 0, turn = null;

  function show(i) {
    current = (i + views.length) % views.length;
    views.forEach(function (v, j) { v.classList.toggle("active", j === current); });
    var name = views[current].getAttribute("data-view");
    document.querySelectorAll("[data-go]").forEach(function (b) {
      b.setAttribute("aria-current", b.getAttribute("data-go") === name ? "true" : "false");
    });
    body.setAttribute("data-showing", name);
    // Leaflet measures its box when shown again (the view kept its size while hidden).
    window.dispatchEvent(new Event("resize"));
  }
  function restart() {
    if (turn) clearInterval(turn);
    turn = setInterval(function () { show(current + 1); }, seconds * 1000);
  }
  document.querySelectorAll("[data-go]").forEach(function (b) {
    b.addEventListener("click", function () {
      var name = b.getAttribute("data-go");
      show(views.findIndex(function (v) { return v.getAttribute("data-view") === name; }));
      restart();
    });
  });

  var clock = document.getElementById("screen-clock");
  function tick() {
    if (clock) clock.textContent = new Date().toLocaleString(document.documentElement.lang || "zh-CN", {hour12: false});
  }
  tick();
  setInterval(tick, 1000);

  var full = document.getElementById("screen-full");
  if (full) {
    full.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
    });
  }

  var timer = null;
  function refresh() {
    timer = null;
    fetch(location.href, {credentials: "same-origin", headers: {Accept: "text/html"}})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["screen-figures", "screen-alarm-list"].forEach(function (id) {
          var fresh = doc.getElementById(id), old = document.getElementById(id);
          if (fresh && old) old.innerHTML = fresh.innerHTML;
        });
        body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { /* the next change tries again */ });
  }
  body.addEventListener("centre-changed", function () {
    if (!timer) timer = setTimeout(refresh, 300);
  });

  show(0);
  restart();
})();
