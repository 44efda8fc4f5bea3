// Agent console: live SLA clocks, live queues over server-sent events, one-click suggested answers.
// The clocks run from the server's "now" (data-server-now-ms) plus the time elapsed in the page,
// with the thresholds of services/intake/sla_clock.py (amber in the last quarter, red when due).
"use strict";
(function () {
  const AMBER_SHARE = 0.25;
  const body = document.body;
  const serverNow = Number(body.dataset.serverNowMs);
  const loadedAt = Date.now();
  const words = JSON.parse(body.dataset.words || "{}");

  function now() { return serverNow + (Date.now() - loadedAt); }

  function stateAt(nowMs, startedMs, dueMs) {
    if (nowMs >= dueMs) return "red";
    const windowMs = Math.max(dueMs - startedMs, 1);
    return (dueMs - nowMs) <= AMBER_SHARE * windowMs ? "amber" : "ok";
  }

  function span(ms) {
    const minutes = Math.floor(Math.abs(ms) / 60000);
    return minutes + " min";
  }

  function tick() {
    const at = now();
    document.querySelectorAll(".sla[data-due-ms]").forEach(function (el) {
      if (el.dataset.state === "paused") return;
      const due = Number(el.dataset.dueMs);
      const state = stateAt(at, Number(el.dataset.startedMs), due);
      el.classList.remove("sla-ok", "sla-amber", "sla-red");
      el.classList.add("sla-" + state);
      el.dataset.state = state;
      const label = el.querySelector(".sla-state");
      if (label) label.textContent = words[state] || state;
      const left = el.querySelector(".sla-time");
      if (left) left.textContent = (due - at >= 0 ? words.left : words.over).replace("{t}", span(due - at));
    });
  }

  // Events say when to reload; a quiet reload now and then also catches one that was in flight
  // while the stream connected, or sent while the feed's queue could not be bound.
  const SAFETY_RELOAD_MS = 15000;

  function refreshQueues(announce) {
    const box = document.getElementById("queues");
    if (!box) return;
    fetch(box.dataset.live, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        box.innerHTML = html;
        tick();
        const status = document.getElementById("live-status");
        if (status && announce) status.textContent = words.new_ticket;
      })
      .catch(function () { /* the next event or reconnect refreshes again */ });
  }

  function listen() {
    if (!window.EventSource || !document.getElementById("queues")) return;
    const source = new EventSource("/console/events");
    source.addEventListener("ticket", function () { refreshQueues(true); });
    source.addEventListener("open", function () { body.dataset.live = "on"; refreshQueues(true); });
    source.addEventListener("error", function () { body.dataset.live = "off"; });
    setInterval(function () { refreshQueues(false); }, SAFETY_RELOAD_MS);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button.use-answer");
    if (!button) return;
    const answer = document.getElementById(button.dataset.answerId);
    const reply = document.getElementById("reply");
    if (answer && reply) { reply.value = answer.textContent.trim(); reply.focus(); }
  });

  tick();
  setInterval(tick, 1000);
  listen();
})();
