// The command centre's live socket. A page with an element [data-centre-unit="<id>"]
// joins /ws/centre/<id>/ (dashboard.consumers) and, for each appeal or alarm change of
// the unit's subtree, dispatches "centre-changed" on document.body with the message as
// its detail; the page's own script refreshes what it shows (debounced). A new alarm
// beeps (notify.js's beep, unlocked by the first tap). Reconnects with a growing delay;
// on reconnecting it dispatches {kind: "reconnect"} so the page catches up.
(function () {
  var holder = document.querySelector("[data-centre-unit]");
  if (!holder || !("WebSocket" in window)) return;
  var unit = holder.getAttribute("data-centre-unit");
  if (!/^[0-9]+$/.test(unit || "")) return;
  var state = document.getElementById("centre-live-state");
  function say(live) {
    if (!state) return;
    state.textContent = state.getAttribute(live ? "data-text-live" : "data-text-offline") || "";
    state.classList.toggle("offline", !live);
  }
  function tell(detail) {
    document.body.dispatchEvent(new CustomEvent("centre-changed", {detail: detail}));
  }
  var MIN_DELAY = 2000, MAX_DELAY = 60000, delay = MIN_DELAY, timer = null, socket = null;
  var opened = false;
  function schedule() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; connect(); }, delay + Math.random() * 1000);
    delay = Math.min(delay * 2, MAX_DELAY);
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + location.host + "/ws/centre/" + unit + "/");
    } catch (e) { schedule(); return; }
    socket.onopen = function () {
      delay = MIN_DELAY;
      say(true);
      if (opened) tell({kind: "reconnect"});
      opened = true;
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (!message || (message.kind !== "appeal" && message.kind !== "alarm")) return;
      if (message.kind === "alarm" && message.change === "notified" && window.linliBeep) {
        window.linliBeep();
      }
      tell(message);
    };
    socket.onclose = function () { socket = null; say(false); schedule(); };
    socket.onerror = function () { /* onclose follows and schedules a retry */ };
  }
  connect();
})();
