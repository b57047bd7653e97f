/* One-tap contacts without a signal (the representative's page, /duties/).
 *
 * Every tap gets a key (client_key, a UUID). When the phone is offline, or the
 * request cannot reach the server, the tap is kept in localStorage with the phone's
 * date (day: a live tap sends none, so a phone clock running ahead of the server's
 * cannot have it refused as "in the future"), its row is marked "waiting to sync" and a banner counts what waits.
 * On the `online` event, on page load and every 30 s while anything waits, the taps
 * are sent again in order; the server records each key once (see
 * services.contact_log), so a tap sent twice is still one contact.
 *
 * Why localStorage and not IndexedDB: only this page reads and writes the queue
 * (the service worker does not replay), an entry is a few hundred bytes and a
 * round holds a few dozen, and a synchronous store keeps the order and the
 * read-modify-write simple. Two tabs replaying at once are harmless (same keys).
 */
(function () {
  "use strict";

  const banner = document.getElementById("offline-banner");
  if (!banner) return;
  const cfg = banner.dataset;
  const STORE = "linli.duties.queue";
  const RETRY_MS = 30000;
  let syncing = false;

  // --- the service worker (scope /duties/ only) ----------------------------------
  // A page loaded before the worker controlled it (the first visit) asks the worker to
  // keep it and its assets; a controlled page was kept on the way in. After the owed
  // list changed (a tap, a sync), the kept page is refreshed so that, offline, it does
  // not offer households already contacted. `data-keeping` is set while that runs.
  const hasWorker = "serviceWorker" in navigator && !!cfg.sw;
  const controlledAtLoad = hasWorker && !!navigator.serviceWorker.controller;
  if (hasWorker) {
    navigator.serviceWorker
      .register(cfg.sw, { scope: cfg.scope })
      .then(() => navigator.serviceWorker.ready)
      .then(() => {
        if (!controlledAtLoad) keepForOffline();
      })
      .catch(() => {});
  }

  function keepForOffline() {
    if (!hasWorker) return;
    const assets = Array.from(document.querySelectorAll("script[src], link[rel=stylesheet]"))
      .map((el) => el.src || el.href)
      .filter((u) => new URL(u, location.href).pathname.startsWith("/static/"));
    navigator.serviceWorker.ready.then((reg) => {
      const worker = navigator.serviceWorker.controller || reg.active;
      if (!worker) return;
      const channel = new MessageChannel();
      banner.dataset.keeping = String(Number(banner.dataset.keeping || 0) + 1);
      channel.port1.onmessage = () => {
        const left = Number(banner.dataset.keeping || 1) - 1;
        if (left > 0) banner.dataset.keeping = String(left);
        else delete banner.dataset.keeping;
      };
      worker.postMessage({ type: "keep", assets: assets, page: true }, [channel.port2]);
    });
  }

  // --- the queue -----------------------------------------------------------------
  function load() {
    try {
      const items = JSON.parse(localStorage.getItem(STORE) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (err) {
      return [];
    }
  }

  function save(items) {
    localStorage.setItem(STORE, JSON.stringify(items));
  }

  function mine() {
    return load().filter((item) => item.user === cfg.user);
  }

  function remove(key) {
    save(load().filter((item) => item.key !== key));
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function localDay() {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (err) {
      return "";
    }
  }

  function hidden(form, name, value) {
    let input = form.querySelector("input[type=hidden][name=" + name + "]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    if (!input.value) input.value = value;
    return input.value;
  }

  function tapForm(el) {
    const form = el && el.closest ? el.closest("form") : null;
    return form && form.closest("#owed li.owed-item") ? form : null;
  }

  function enqueue(form) {
    const data = new FormData(form);
    const key = String(data.get("client_key") || "");
    if (!key) return;
    const items = load();
    if (items.some((item) => item.key === key)) return;
    const row = form.closest("li.owed-item");
    const name = row && row.querySelector("strong") ? row.querySelector("strong").textContent : "";
    items.push({
      key: key,
      user: cfg.user,
      household: String(data.get("household") || ""),
      name: name,
      method: String(data.get("method") || ""),
      role: String(data.get("role") || ""),
      note: String(data.get("note") || ""),
      day: String(data.get("day") || localDay()),
      csrf: String(data.get("csrfmiddlewaretoken") || csrfToken()),
      at: new Date().toISOString(),
    });
    save(items);
    render();
  }

  // --- what the page shows -------------------------------------------------------
  function text(template, n) {
    return (template || "").replace("{n}", String(n));
  }

  function render() {
    const items = mine();
    const queued = new Set(items.map((item) => item.household));
    let marked = 0;
    document.querySelectorAll("#owed li.owed-item").forEach((row) => {
      const household = row.id.replace("owed-", "");
      const isQueued = queued.has(household);
      row.classList.toggle("queued", isQueued);
      if (isQueued) {
        marked++;
        if (!row.querySelector(".queued-badge")) {
          const badge = document.createElement("span");
          badge.className = "badge warn queued-badge";
          badge.textContent = cfg.textQueued;
          const head = row.querySelector(".owed-head");
          (head || row).appendChild(badge);
        }
      }
    });
    const count = document.querySelector("#owed-contacts b");
    if (count) {
      if (count.dataset.server === undefined) count.dataset.server = count.textContent.trim();
      const server = parseInt(count.dataset.server, 10);
      if (!Number.isNaN(server)) count.textContent = String(Math.max(server - marked, 0));
    }
    if (items.length) {
      const offline = navigator.onLine === false;
      banner.querySelector(".offline-text").textContent = text(
        offline ? cfg.textOffline : cfg.textPending,
        items.length,
      );
      banner.classList.toggle("is-offline", offline);
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
  }

  function say(message, kind) {
    const list = document.getElementById("offline-messages");
    if (!list) return;
    const li = document.createElement("li");
    li.className = "msg-" + kind;
    li.setAttribute("role", kind === "error" ? "alert" : "status");
    li.textContent = message;
    list.appendChild(li);
  }

  function dropRow(household) {
    const row = document.getElementById("owed-" + household);
    const count = document.querySelector("#owed-contacts b");
    if (!row) return;
    row.remove();
    if (count && count.dataset.server !== undefined) {
      count.dataset.server = String(Math.max(parseInt(count.dataset.server, 10) - 1, 0));
    }
  }

  function refreshOwed() {
    const owed = document.getElementById("owed");
    if (window.htmx && owed) {
      window.htmx.ajax("GET", cfg.page, { target: "#owed", swap: "outerHTML" });
    } else {
      location.reload();
    }
  }

  // --- sending again -------------------------------------------------------------
  async function sync() {
    if (syncing || navigator.onLine === false) return;
    const items = mine();
    if (!items.length) return;
    syncing = true;
    let accepted = 0;
    let refused = 0;
    try {
      for (const item of items) {
        const body = new URLSearchParams({
          household: item.household,
          method: item.method,
          role: item.role,
          note: item.note,
          client_key: item.key,
          day: item.day,
        });
        let response;
        try {
          response = await fetch(cfg.url, {
            method: "POST",
            credentials: "same-origin",
            redirect: "manual",
            headers: { "X-CSRFToken": csrfToken() || item.csrf, Accept: "application/json" },
            body: body,
          });
        } catch (err) {
          break; // still no network: keep this one and the rest, in order
        }
        if (response.ok) {
          remove(item.key);
          accepted++;
          dropRow(item.household); // recorded: gone from the list until it is refreshed
          continue;
        }
        let data = null;
        if (response.status >= 400 && response.status < 500) {
          try {
            data = await response.json();
          } catch (err) {
            data = null;
          }
        }
        if (data && data.code) {
          // Refused for good (too late, household no longer served...): say why.
          remove(item.key);
          refused++;
          say((item.name ? item.name + "：" : "") + data.message, "error");
          continue;
        }
        if (response.type === "opaqueredirect" || response.status === 403) {
          say(cfg.textLogin, "error"); // logged out, or the page is stale: keep all
        }
        break; // a server failure: keep it and try again later
      }
    } finally {
      syncing = false;
    }
    if (accepted) say(text(cfg.textSynced, accepted), "success");
    render();
    if (accepted || refused) refreshOwed();
  }

  // --- wiring --------------------------------------------------------------------
  // Capture phase, before htmx reads the form: give the tap its key.
  document.addEventListener(
    "submit",
    (event) => {
      const form = tapForm(event.target);
      if (!form) return;
      hidden(form, "client_key", newKey());
      if (navigator.onLine === false) {
        event.preventDefault();
        event.stopImmediatePropagation();
        enqueue(form);
      }
    },
    true,
  );

  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = tapForm(event.detail.elt);
    if (form && navigator.onLine === false) {
      event.preventDefault();
      enqueue(form);
    }
  });

  // The request did not reach the server (no signal): keep it.
  document.addEventListener("htmx:sendError", (event) => {
    const form = tapForm(event.detail.elt);
    if (form) enqueue(form);
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    render();
    const target = event.detail.target;
    if (target && target.id === "owed" && navigator.onLine !== false) keepForOffline();
  });

  // Logging out forgets the page kept for offline use (the queue stays, per user).
  document.querySelectorAll("form[action$='/accounts/logout/']").forEach((form) => {
    form.addEventListener("submit", () => {
      if (!window.caches) return;
      caches.keys().then((keys) => {
        keys.filter((k) => k.startsWith("linli-duties-")).forEach((k) => caches.delete(k));
      });
    });
  });

  window.addEventListener("online", () => {
    render();
    sync();
  });
  window.addEventListener("offline", render);
  setInterval(() => {
    if (mine().length) sync();
  }, RETRY_MS);
  render();
  sync();
})();
