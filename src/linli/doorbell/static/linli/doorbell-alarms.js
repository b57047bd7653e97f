/* The doorbell alarm pages: the time since each press ticks every second
   ([data-since]); on the panel (#alarm-open[data-live]) a WebSocket to
   /ws/doorbell/alarms/ tells of every alarm change and htmx reloads the open block
   (the "alarm-changed" event on <body>); the arrive form (form[data-locate]) adds the
   phone's location when it gives one within a few seconds, and is sent anyway. */
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function elapsed(iso) {
    var t = Date.parse(iso);
    if (isNaN(t)) return "";
    var s = Math.max(0, Math.floor((Date.now() - t) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }
  function tick() {
    var nodes = document.querySelectorAll("[data-since]");
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = elapsed(nodes[i].getAttribute("data-since"));
  }
  tick();
  setInterval(tick, 1000);

  // The arrive button: the location if the phone gives it within 5 s, then send.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-locate") || form.dataset.located) return;
    if (!navigator.geolocation) return;
    event.preventDefault();
    var sent = false;
    function send() {
      if (sent) return;
      sent = true;
      form.dataset.located = "1";
      form.submit();
    }
    setTimeout(send, 5000);
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
      form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
      send();
    }, send, {timeout: 4500, maximumAge: 60000});
  });

  var open = document.getElementById("alarm-open");
  if (!open || !open.hasAttribute("data-live") || !("WebSocket" in window)) return;
  var state = document.getElementById("alarm-live-state");
  function say(live) {
    if (state) state.textContent = state.getAttribute(live ? "data-text-live" : "data-text-offline") || "";
  }
  var MIN_DELAY = 2000, MAX_DELAY = 60000, delay = MIN_DELAY, timer = null, socket = null;
  function schedule() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; connect(); }, delay + Math.random() * 1000);
    delay = Math.min(delay * 2, MAX_DELAY);
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + location.host + "/ws/doorbell/alarms/");
    } catch (e) { schedule(); return; }
    socket.onopen = function () {
      delay = MIN_DELAY;
      say(true);
      // Whatever changed while the socket was away.
      document.body.dispatchEvent(new CustomEvent("alarm-changed"));
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message && message.alarm) document.body.dispatchEvent(new CustomEvent("alarm-changed"));
    };
    socket.onclose = function () { socket = null; say(false); schedule(); };
  }
  document.body.addEventListener("htmx:afterSwap", tick);
  connect();
})();
