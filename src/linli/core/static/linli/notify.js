/* Live notification badge: a WebSocket to /ws/notify/ updates the unread count
   and shows a short toast for each new notification. A push that carries an
   `alarm` object (a doorbell alarm) shows a banner that stays until dismissed,
   with a link, and plays a short tone when it says `sound` (WebAudio; browsers
   allow sound only after the user has tapped the page once, which the banner says). Village signal is weak,
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

  // Alarm banners: the holder (#alarm-banner in base.html) carries the translated texts.
  var banner = document.getElementById("alarm-banner");
  var audio = null;
  function audioContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!audio) { try { audio = new Ctx(); } catch (e) { return null; } }
    return audio;
  }
  // A first tap or key unlocks sound for the rest of the page's life.
  function unlock() {
    var ctx = audioContext();
    if (ctx && ctx.state === "suspended") ctx.resume();
  }
  document.addEventListener("click", unlock, {once: true});
  document.addEventListener("keydown", unlock, {once: true});
  function beep() {
    var ctx = audioContext();
    if (!ctx) return;
    if (ctx.state === "suspended") ctx.resume();
    var t = ctx.currentTime;
    for (var i = 0; i < 3; i++) {
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.3, t + i * 0.35 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.35 + 0.25);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(t + i * 0.35);
      osc.stop(t + i * 0.35 + 0.26);
    }
  }
  // The command centre's live pages sound a new alarm with the same tone.
  window.linliBeep = beep;
  function alarmBanner(message) {
    if (!banner) return;
    var alarm = message.alarm, id = "alarm-banner-" + String(alarm.id).replace(/[^0-9]/g, "");
    var old = document.getElementById(id);
    if (old) old.parentNode.removeChild(old);
    var box = document.createElement("div");
    box.className = "alarm-banner-item";
    box.id = id;
    var title = document.createElement("b");
    title.textContent = message.title || "";
    box.appendChild(title);
    var body = document.createElement("span");
    body.textContent = message.body || alarm.household || "";
    box.appendChild(body);
    if (message.url && message.url.charAt(0) === "/" && message.url.charAt(1) !== "/") {
      var link = document.createElement("a");
      link.className = "btn";
      link.href = message.url;
      link.textContent = banner.getAttribute("data-text-open") || "";
      box.appendChild(link);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn secondary";
    close.textContent = banner.getAttribute("data-text-dismiss") || "×";
    close.addEventListener("click", function () {
      box.parentNode.removeChild(box);
      if (!banner.querySelector(".alarm-banner-item")) banner.hidden = true;
    });
    box.appendChild(close);
    if (message.sound && (!audio || audio.state !== "running")) {
      var note = document.createElement("small");
      note.textContent = banner.getAttribute("data-text-sound") || "";
      box.appendChild(note);
    }
    banner.insertBefore(box, banner.firstChild);
    banner.hidden = false;
    if (message.sound) beep();
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
      if (message.alarm && typeof message.alarm === "object") alarmBanner(message);
      else if (message.title) toast(message);
    };
    socket.onclose = function () { socket = null; schedule(); };
    socket.onerror = function () { /* onclose follows and schedules a retry */ };
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !socket && !timer) { delay = MIN_DELAY; connect(); }
  });
  connect();
})();
