/* Live notification badge: a WebSocket to /ws/notify/ updates the unread count
   and shows a short toast for each new notification. Village signal is weak,
   so a failed or dropped socket just waits (with growing pauses) and tries
   again; the page works the same without it. */
(function () {
  "use strict";
  var badge = document.getElementById("notify-badge");
  if (!badge || !("WebSocket" in window) || !window.JSON) return;

  var MIN_DELAY = 2000, MAX_DELAY = 120000;
  var delay = MIN_DELAY, timer = null, socket = null;

  function setCount(n) {
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.hidden = !(n > 0);
  }

  // One polite live region, named like the header link ("通知"), holds the toasts: a
  // screen reader reads each new one, and a toast that is a link stays a link.
  var live = null;
  function liveRegion() {
    if (live) return live;
    live = document.createElement("div");
    live.id = "notify-live";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    var link = badge.parentNode;
    live.setAttribute("aria-label", (link.firstChild && link.firstChild.textContent || "").trim());
    document.body.appendChild(live);
    return live;
  }

  function toast(message) {
    var box = document.createElement(message.url ? "a" : "div");
    box.className = "notify-toast";
    if (message.url && message.url.charAt(0) === "/" && message.url.charAt(1) !== "/") {
      box.href = message.url;
    }
    var title = document.createElement("b");
    title.textContent = message.title;  // text, never HTML
    box.appendChild(title);
    if (message.body) {
      var body = document.createElement("span");
      body.textContent = message.body.length > 80 ? message.body.slice(0, 80) + "…" : message.body;
      box.appendChild(body);
    }
    liveRegion().appendChild(box);
    setTimeout(function () { box.classList.add("hide"); }, 6000);
    setTimeout(function () { if (box.parentNode) box.parentNode.removeChild(box); }, 7000);
  }

  function schedule() {
    if (timer) return;
    // Jitter spreads the reconnects of many phones after a server restart.
    timer = setTimeout(function () { timer = null; connect(); }, delay + Math.random() * 1000);
    delay = Math.min(delay * 2, MAX_DELAY);
  }

  function connect() {
    if (document.hidden) return;  // reconnect when the page is shown again
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + location.host + "/ws/notify/");
    } catch (e) {
      schedule();
      return;
    }
    socket.onopen = function () { delay = MIN_DELAY; };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (!message || typeof message !== "object") return;
      if (typeof message.unread === "number") setCount(message.unread);
      if (message.title) toast(message);
    };
    socket.onclose = function () { socket = null; schedule(); };
    socket.onerror = function () { /* onclose follows and schedules a retry */ };
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !socket && !timer) { delay = MIN_DELAY; connect(); }
  });
  connect();
})();
