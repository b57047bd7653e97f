// The command centre's charts (dashboard/centre.html): read the page's JSON data
// endpoint (data-url on #centre) and draw each [data-chart] with Apache ECharts.
// Every chart's numbers are also on the page as a table, so nothing is lost without it.
(function () {
  "use strict";

  // The series' names, translated by the page (data-series-* on #centre).
  function series(key) {
    var root = document.getElementById("centre");
    return (root && root.getAttribute("data-series-" + key)) || "";
  }

  function trend(d) {
    var filed = series("filed"), closed = series("closed");
    var rows = d.trend.rows;
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [filed, closed] },
      grid: { left: 40, right: 16, top: 36, bottom: 40 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.day.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: filed, type: "bar", itemStyle: { color: "#c8161d" }, data: rows.map(function (r) { return r.filed; }) },
        { name: closed, type: "line", itemStyle: { color: "#2e7d32" }, data: rows.map(function (r) { return r.closed; }) }
      ]
    };
  }

  function bars(rows, name) {
    var sorted = rows.slice().reverse();
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 12, bottom: 24, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: sorted.map(function (r) { return r.name; }) },
      series: [{ name: name, type: "bar", barMaxWidth: 36, data: sorted.map(function (r) { return r.count; }), itemStyle: { color: "#c8161d" } }]
    };
  }

  var builders = {
    trend: trend,
    categories: function (d) { return bars(d.categories, series("categories")); },
    hotspots: function (d) { return bars(d.hotspots, series("hotspots")); }
  };

  var charts = [];
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });

  function draw(data) {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = builders[el.getAttribute("data-chart")];
      if (!build) return;
      var chart = window.echarts.init(el);
      chart.setOption(build(data));
      charts.push(chart);
    });
  }

  function start() {
    var root = document.getElementById("centre");
    if (!root || !window.echarts) return;
    fetch(root.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(draw)
      .catch(function () { /* the tables below the charts still hold the numbers */ });
  }

  // Live (dashboard/live.js): on a change of the unit's appeals or alarms, the page is
  // fetched again and everything below the period form (#centre-live) replaced, then
  // the charts drawn again; a burst within 0.3 s is one refresh.
  var timer = null;
  function refresh() {
    timer = null;
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("centre-live");
        var old = document.getElementById("centre-live");
        if (!fresh || !old) return;
        old.replaceWith(fresh);
        var root = document.getElementById("centre");
        if (root) root.setAttribute("data-refreshed", String(Date.now()));
        start();
      })
      .catch(function () { /* the next change tries again */ });
  }
  function listen() {
    document.body.addEventListener("centre-changed", function () {
      if (!timer) timer = setTimeout(refresh, 300);
    });
  }

  // A date changed by hand means the user's own period: the select follows, so "Show"
  // does not quietly keep "This month" and drop the dates.
  function dates() {
    document.querySelectorAll("form.filters").forEach(function (form) {
      var kind = form.querySelector("select[name=period]");
      if (!kind) return;
      form.querySelectorAll("input[type=date]").forEach(function (input) {
        input.addEventListener("change", function () { kind.value = "custom"; });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
    document.addEventListener("DOMContentLoaded", listen);
    document.addEventListener("DOMContentLoaded", dates);
  } else {
    start();
    listen();
    dates();
  }
})();
