// Follows the order's pending payment: Server-Sent Events, else a small JSON every 3 s.
(function () {
  "use strict";
  var box = document.getElementById("status");
  if (!box || box.getAttribute("data-final") === "1") return;
  var base = box.getAttribute("data-base"), payment = box.getAttribute("data-payment");
  var state = box.getAttribute("data-state"), done = false, source = null;
  function seen(news) {
    if (done || (news.payment === payment && news.state === state)) return;
    done = true;
    if (source) source.close();
    box.textContent = news.text;
    box.className = "status " + news.state;
    location.replace(location.pathname + location.search);
  }
  function poll() {
    if (done) return;
    fetch(base + "/status", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(seen)
      .catch(function () {})
      .then(function () { setTimeout(poll, 3000); });
  }
  if (window.EventSource) {
    source = new EventSource(base + "/events");
    source.onmessage = function (e) { seen(JSON.parse(e.data)); };
    source.onerror = function () { source.close(); source = null; setTimeout(poll, 3000); };
  } else {
    setTimeout(poll, 3000);
  }
})();
