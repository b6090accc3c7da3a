// complaintbot console: the few behaviours htmx does not cover. No customer data is ever put into
// the page from here; customer text only arrives in server-rendered, escaped HTML.
(function () {
  "use strict";
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : "";
  }
  function newID() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return String(Date.now()) + String(Math.random()).slice(2, 12);
  }
  // Every htmx request carries the CSRF token.
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });

  // A new customer in the queue: a short tone and a blinking title until the page is looked at.
  var baseTitle = document.title, blink = null;
  function cue() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 880; g.gain.value = 0.1;
      o.connect(g); g.connect(ctx.destination);
      o.start(); o.stop(ctx.currentTime + 0.25);
    } catch (err) { /* no sound available */ }
    if (blink) return;
    var on = false;
    blink = setInterval(function () {
      on = !on;
      document.title = on ? "【新客户排队】" + baseTitle : baseTitle;
    }, 1000);
    document.body.setAttribute("data-cue", "1");
  }
  function stopCue() {
    if (blink) { clearInterval(blink); blink = null; document.title = baseTitle; }
  }
  document.addEventListener("sse:queued", cue);
  document.addEventListener("sse:risk", function () { document.body.setAttribute("data-risk", "1"); cue(); });
  // Mark the page live (tests and people can tell the stream is connected).
  document.addEventListener("htmx:sseOpen", function () { document.body.setAttribute("data-live", "1"); });
  document.addEventListener("htmx:sseError", function () { document.body.removeAttribute("data-live"); });
  window.addEventListener("focus", stopCue);
  document.addEventListener("click", stopCue);

  // Reply form: reset after a successful send, new id so a double click sends once.
  document.addEventListener("htmx:afterRequest", function (e) {
    var f = e.detail.elt;
    if (!f || f.id !== "reply-form" || !e.detail.successful) return;
    if (!document.querySelector("#reply-result [data-sent]")) return;
    f.reset();
    var id = f.querySelector(".client-id");
    if (id) id.value = newID();
  });
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest(".canned-reply") : null;
    if (!b) return;
    var t = document.getElementById("reply-text");
    if (t && !t.disabled) { t.value = b.getAttribute("data-text"); t.focus(); quickSearch(); }
  });
  // "/" and a word in the reply box: only the quick replies holding the word are shown; Enter
  // takes the first of them.
  function quickSearch() {
    var t = document.getElementById("reply-text");
    if (!t) return null;
    var q = t.value.charAt(0) === "/" ? t.value.slice(1).trim() : null;
    var first = null;
    document.querySelectorAll(".canned-reply").forEach(function (b) {
      var hit = q === null || (b.textContent + " " + b.getAttribute("data-text")).indexOf(q) >= 0;
      b.hidden = !hit;
      if (hit && !first && q !== null) first = b;
    });
    return first;
  }
  document.addEventListener("input", function (e) {
    if (e.target.id === "reply-text") quickSearch();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.ctrlKey && !e.metaKey && !e.shiftKey && e.target.id === "reply-text" && e.target.value.charAt(0) === "/") {
      e.preventDefault();
      var b = quickSearch();
      if (b) { e.target.value = b.getAttribute("data-text"); quickSearch(); }
      return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.id === "reply-text") {
      e.preventDefault();
      var s = document.getElementById("send");
      if (s && !s.disabled) s.click();
    }
  });
  // Keep the newest message in view.
  function scrollDown() {
    var m = document.getElementById("messages");
    if (m) m.scrollTop = m.scrollHeight;
  }
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "messages") scrollDown();
  });
  document.addEventListener("DOMContentLoaded", scrollDown);
})();
