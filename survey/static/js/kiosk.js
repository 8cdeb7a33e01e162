/* Kiosk: touch flow, automatic reset and an offline outbox.
 *
 * Every answer goes into an outbox in localStorage first, with its own
 * idempotency key and the time it was given, and is then sent. Sending is
 * retried on network errors and 5xx/429 answers until the server says 2xx
 * (stored, or already stored) or a permanent 4xx; so an answer given while
 * the network or the server is down is stored exactly once when it returns.
 * The resident always sees the thank-you screen. Only answers are kept on
 * the device, and only until the office has received them.
 */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) return;
  var form = document.getElementById("kiosk-form");
  var thanks = document.getElementById("kiosk-thanks");
  var more = document.getElementById("step-more");
  var skip = document.getElementById("kiosk-skip");
  var actions = document.getElementById("kiosk-actions");
  var idleBox = document.getElementById("idle-warning");
  var outbox = document.getElementById("outbox");
  var IDLE_MS = (+root.dataset.idleSeconds || 30) * 1000;
  var WARN_MS = 10000;
  var RESET_MS = (+root.dataset.resetSeconds || 6) * 1000;
  var RETRY_MS = (+root.dataset.retrySeconds || 10) * 1000;
  var IDLE_ACTION = root.dataset.idleAction || "discard";
  var KEY = "kiosk-outbox";
  var REJECTED = "kiosk-rejected";
  var idleTimer = null, warnTimer = null, resetTimer = null, sending = false;

  root.classList.add("js");

  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    localStorage.setItem(KEY, JSON.stringify(queue));
    var n = queue.length;
    outbox.hidden = n === 0;
    document.getElementById("outbox-count").textContent = String(n);
  }

  function started() { return !!form.querySelector(".faces input:checked"); }

  function showStep(rated) {
    root.classList.toggle("rated", rated);
    if (more) more.hidden = !rated;
    if (skip) skip.hidden = !rated;
    actions.hidden = more ? !rated : false;
  }

  function reset(initial) {
    clearTimeout(resetTimer); clearTimeout(idleTimer); clearTimeout(warnTimer);
    idleBox.hidden = true;
    form.inert = false;
    form.reset();
    form.elements.idempotency_key.value = uuid4();
    thanks.hidden = true;
    form.hidden = false;
    showStep(false);
    var first = form.querySelector(".faces input");
    if (first) first.blur();
    if (initial !== true) backToDefaultLanguage();
  }

  /* The next person starts in the office's language. Reloading is the only way to change
     it, so it happens only when the server answers: an offline kiosk keeps working. */
  function backToDefaultLanguage() {
    var wanted = root.dataset.defaultLanguage;
    if (!wanted || document.documentElement.lang === wanted) return;
    fetch("/health", { cache: "no-store" }).then(function (response) {
      if (response.ok) location.replace("/kiosk?lang=" + wanted);
    }).catch(function () {});
  }

  function enqueue(onlyRating) {
    form.elements.answered_at.value = String(Date.now());
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (onlyRating && form.querySelector(".step-more [name='" + name + "']")) return;
      pairs.push([name, String(value)]);
    });
    var queue = load();
    queue.push(pairs);
    save(queue);
  }

  function finish(onlyRating) {
    enqueue(onlyRating);
    form.hidden = true;
    thanks.hidden = false;
    thanks.focus();
    clearTimeout(idleTimer); clearTimeout(warnTimer);
    resetTimer = setTimeout(reset, RESET_MS);
    flush();
  }

  function flush() {
    if (sending) return;
    var queue = load();
    if (!queue.length) return;
    sending = true;
    var body = new URLSearchParams();
    queue[0].forEach(function (pair) { body.append(pair[0], pair[1]); });
    fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      var s = response.status;
      if ((s >= 200 && s < 300) || (s >= 400 && s < 500 && s !== 408 && s !== 429)) {
        if (s >= 400) localStorage.setItem(REJECTED, String(+(localStorage.getItem(REJECTED) || 0) + 1));
        var rest = load();
        rest.shift();
        save(rest);
        sending = false;
        flush();
      } else {
        sending = false;
      }
    }).catch(function () { sending = false; });
  }

  function idle() {
    if (!started() || !thanks.hidden) return;
    idleBox.hidden = false;
    form.inert = true;  // the warning is modal: nothing behind it can be reached
    document.getElementById("idle-continue").focus();
    warnTimer = setTimeout(function () {
      if (IDLE_ACTION === "submit") finish(false); else reset();
    }, WARN_MS);
  }

  function touched() {
    clearTimeout(idleTimer);
    if (!idleBox.hidden) { idleBox.hidden = true; form.inert = false; clearTimeout(warnTimer); }
    idleTimer = setTimeout(idle, IDLE_MS);
  }

  form.addEventListener("change", function (event) {
    touched();
    if (event.target.closest(".faces")) {
      if (more) { showStep(true); more.scrollIntoView({ behavior: "smooth", block: "start" }); } else finish(false);
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!started()) { form.querySelector(".faces input").focus(); return; }
    finish(false);
  });
  if (skip) skip.addEventListener("click", function () { finish(true); });
  document.getElementById("idle-continue").addEventListener("click", touched);
  ["pointerdown", "keydown", "input"].forEach(function (type) {
    document.addEventListener(type, function () { if (started()) touched(); }, true);
  });
  window.addEventListener("online", flush);
  setInterval(flush, RETRY_MS);

  reset(true);
  save(load());
  flush();
})();
