// The auditor's replay page (templates/audit_replay.html), enhanced: the slider, the previous/next
// links, the "Go to event" form and the history table's links step through the history in place.
// Each step fetches GET /audit/<id>/at?seq=N (the same replay and diagram path as the API, recorded
// as the auditor's read), then moves the diagram highlights (window.AdvocacyDiagram.show), fills
// the state and event panels, appends the read just recorded to the history table, updates the
// URL and announces "Event N of M: ..." in the live region.  Without JavaScript the same controls
// are plain GET forms and links.  "Verify the chain" asks /audit/<id>/verify?format=json.
(function () {
  "use strict";

  var root = document.getElementById("replay");
  if (!root || !window.fetch) { return; }
  var atUrl = root.getAttribute("data-at-url");
  var pageUrl = root.getAttribute("data-page-url");
  var verifyUrl = root.getAttribute("data-verify-url");
  var seq = parseInt(root.getAttribute("data-seq"), 10);
  var last = parseInt(root.getAttribute("data-last"), 10);
  var names = JSON.parse((document.getElementById("audit-names") || {}).textContent || "{}");
  var texts = JSON.parse((document.getElementById("replay-texts") || {}).textContent || "{}");

  function t(key, english, values) {  // the page's text (its language, from the template), else English
    var s = texts[key] || english;
    Object.keys(values || {}).forEach(function (k) { s = s.split("{" + k + "}").join(String(values[k])); });
    return s;
  }

  var range = document.getElementById("seq-range");
  var number = document.getElementById("seq-number");
  var status = document.getElementById("step-status");
  var diagramId = "audit-diagram";
  var timer = null;
  var inflight = null;
  var ticket = 0;
  var pendingDiagram = null;

  function byId(id) { return document.getElementById(id); }

  function text(id, value) {
    var el = byId(id);
    if (el) { el.textContent = value === null || value === undefined || value === "" ? "\u2014" : String(value); }
  }

  function humanise(name) {
    var s = String(name).replace(/_/g, " ");
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  function shown(value) {  // as the pages' `shown` filter
    if (value === null || value === undefined) { return "\u2014"; }
    if (typeof value === "boolean") { return value ? t("yes", "Yes") : t("no", "No"); }
    if (Array.isArray(value)) { return value.map(shown).join(", ") || "\u2014"; }
    if (typeof value === "object") {
      return Object.keys(value).map(function (k) { return humanise(k) + ": " + shown(value[k]); }).join(", ") || "\u2014";
    }
    return String(value);
  }

  function fill(list, items, empty, render) {
    list.textContent = "";
    if (!items.length) { items = [null]; }
    items.forEach(function (item) {
      var li = document.createElement("li");
      if (item === null) { li.textContent = empty; } else { render(li, item); }
      list.appendChild(li);
    });
  }

  function code(parent, value) {
    var c = document.createElement("code");
    c.textContent = value;
    parent.appendChild(document.createTextNode(" "));
    parent.appendChild(c);
  }

  function showState(r) {
    var tag = byId("state-status");
    var statuses = {  // English pages show the stored status as it is
      running: t("status_running", "running"),
      waiting: t("status_waiting", "waiting"),
      completed: t("status_completed", "completed"),
      cancelled: t("status_cancelled", "cancelled"),
      error: t("status_error", "error")
    };
    tag.textContent = statuses[r.status] || r.status;
    tag.className = "tag status status-" + r.status;
    text("state-stage", r.stage ? humanise(r.stage) : "");
    text("state-end", r.end_state ? (names[r.end_state] || r.end_state) : "");
    fill(byId("state-tasks"), r.active_tasks, t("none", "None"), function (li, task) {
      li.textContent = names[task.activity_id] || task.name || task.activity_id;
      code(li, task.activity_id);
    });
    fill(byId("state-completed"), r.completed_activities, t("none_yet", "None yet"), function (li, a) {
      li.textContent = names[a] || a;
    });
    var vars = byId("state-variables");
    vars.textContent = "";
    var keys = Object.keys(r.variables).sort();
    if (!keys.length) { keys = [null]; }
    keys.forEach(function (k) {
      var div = document.createElement("div");
      var dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = k === null ? t("none", "None") : k;
      dd.textContent = k === null ? t("nothing_yet", "Nothing recorded yet") : shown(r.variables[k]);
      div.appendChild(dt);
      div.appendChild(dd);
      vars.appendChild(div);
    });
  }

  function showEvent(step) {
    var e = step.event;
    text("event-label", step.label);
    text("event-type", e.type);
    text("event-when", step.when);
    text("event-at", e.at);
    text("event-actor", e.actor);
    text("event-step", step.step);
    byId("event-activity").textContent = e.activity_id || "";
    text("event-task", e.task_id);
    byId("event-data").textContent = JSON.stringify(e.data, Object.keys(flatKeys(e.data)).sort(), 2);
    text("event-hash", e.hash);
    text("event-prev", e.prev_hash);
  }

  function flatKeys(value, into) {  // every key at any depth, so JSON.stringify sorts them all
    into = into || {};
    if (value && typeof value === "object") {
      Object.keys(value).forEach(function (k) { if (!Array.isArray(value)) { into[k] = true; } flatKeys(value[k], into); });
    }
    return into;
  }

  function link(n) { return pageUrl + "?seq=" + n; }

  function addRow(step) {
    var body = byId("history-rows");
    if (!step || body.querySelector('tr[data-seq="' + step.seq + '"]')) { return; }
    var tr = document.createElement("tr");
    tr.setAttribute("data-seq", String(step.seq));
    var cells = [null, step.when, step.label, step.event.actor || "\u2014", step.step || "\u2014"];
    cells.forEach(function (value, i) {
      var td = document.createElement("td");
      if (i === 0) {
        td.className = "num";
        var a = document.createElement("a");
        a.href = link(step.seq);
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = t("show_event", "Show event") + " ";
        a.appendChild(hidden);
        a.appendChild(document.createTextNode(String(step.seq)));
        td.appendChild(a);
      } else {
        td.textContent = value;
      }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }

  function markRow(n) {
    document.querySelectorAll("#history-rows tr").forEach(function (tr) {
      var current = tr.getAttribute("data-seq") === String(n);
      tr.classList.toggle("current", current);
      if (current) { tr.setAttribute("aria-current", "true"); } else { tr.removeAttribute("aria-current"); }
    });
  }

  function setLink(id, n) {
    var a = byId(id);
    if (n >= 1 && n <= last) {
      a.href = link(n);
      a.removeAttribute("aria-disabled");
    } else {
      a.removeAttribute("href");
      a.setAttribute("aria-disabled", "true");
    }
  }

  function showControls(n) {
    range.max = String(last);
    number.max = String(last);
    range.value = String(n);
    number.value = String(n);
    range.setAttribute("aria-valuetext", t("event_of", "Event {n} of {last}", { n: n, last: last }));
    text("range-value", n);
    document.querySelectorAll(".js-last").forEach(function (el) { el.textContent = String(last); });
    document.querySelectorAll(".js-seq").forEach(function (el) { el.textContent = String(n); });
    byId("verify-seq").value = String(n);
    setLink("step-prev", n - 1);
    setLink("step-next", n + 1);
  }

  function showDiagram(d) {
    var container = byId(diagramId);
    if (!container || !window.AdvocacyDiagram) { return; }
    if (container.getAttribute("data-ready") === "true") {
      window.AdvocacyDiagram.show(diagramId, d);
      pendingDiagram = null;
    } else {
      pendingDiagram = d;  // drawn with the page's first state: re-highlight once it is ready
    }
  }

  var container = byId(diagramId);
  if (container && window.MutationObserver) {
    new MutationObserver(function () {
      if (pendingDiagram && container.getAttribute("data-ready") === "true") { showDiagram(pendingDiagram); }
    }).observe(container, { attributes: true, attributeFilter: ["data-ready"] });
  }

  function apply(data) {
    seq = data.replay.seq;
    last = data.last_seq;
    addRow(data.recorded);
    showControls(seq);
    showState(data.replay);
    showEvent(data.event);
    markRow(seq);
    showDiagram(data.diagram);
    root.setAttribute("data-seq", String(seq));
    root.setAttribute("data-last", String(last));
    status.textContent = data.announce;
    document.title = document.title.replace(/event \d+/, "event " + seq);
    if (window.history && window.history.replaceState) { window.history.replaceState(null, "", data.url); }
  }

  function go(n) {
    window.clearTimeout(timer);
    n = Math.max(1, Math.min(last, n));
    if (inflight) { inflight.abort(); }
    var controller = window.AbortController ? new AbortController() : null;
    inflight = controller;
    var mine = ++ticket;
    status.textContent = t("loading", "Loading event {n}\u2026", { n: n });
    fetch(atUrl + "?seq=" + n, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
    }).then(function (answer) {
      if (mine !== ticket) { return; }
      inflight = null;
      if (answer.ok) { apply(answer.body); return; }
      if (answer.status === 401) { window.location.href = link(n); return; }
      status.textContent = t("not_shown", "Event {n} could not be shown: {reason}.", { n: n, reason: answer.body.detail || answer.status });
      showControls(seq);
    }).catch(function (err) {
      if (err && err.name === "AbortError") { return; }
      window.location.href = link(n);  // fall back to the page itself
    });
  }

  range.addEventListener("input", function () {
    var n = parseInt(range.value, 10);
    text("range-value", n);
    range.setAttribute("aria-valuetext", t("event_of", "Event {n} of {last}", { n: n, last: last }));
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { go(n); }, 250);  // a drag shows (and records) where it stops
  });
  range.addEventListener("change", function () {
    var n = parseInt(range.value, 10);
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { if (n !== seq) { go(n); } }, 120);
  });

  byId("range-form").addEventListener("submit", function (event) {
    event.preventDefault();
    go(parseInt(range.value, 10));
  });
  byId("goto-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var n = parseInt(number.value, 10);
    if (isNaN(n) || n < 1 || n > last) {
      status.textContent = t("enter", "Enter an event number from 1 to {last}.", { last: last });
      number.focus();
      return;
    }
    go(n);
  });
  ["step-prev", "step-next"].forEach(function (id) {
    byId(id).addEventListener("click", function (event) {
      event.preventDefault();
      if (byId(id).getAttribute("aria-disabled") === "true") { return; }
      go(seq + (id === "step-next" ? 1 : -1));
    });
  });
  byId("history-rows").addEventListener("click", function (event) {
    var a = event.target.closest ? event.target.closest("a") : null;
    var tr = a ? a.closest("tr") : null;
    if (!tr) { return; }
    event.preventDefault();
    go(parseInt(tr.getAttribute("data-seq"), 10));
    root.scrollIntoView({ behavior: "smooth", block: "start" });
  });

  // Verify the chain in place.
  var verifyForm = byId("verify-form");
  var result = byId("verify-result");
  function banner(kind, lines) {
    result.textContent = "";
    var box = document.createElement("div");
    box.className = "banner " + kind;
    lines.forEach(function (line) {
      var p = document.createElement("p");
      if (line.strong) {
        var s = document.createElement("strong");
        s.textContent = line.strong;
        p.appendChild(s);
      }
      if (line.text) { p.appendChild(document.createTextNode(line.text)); }
      box.appendChild(p);
    });
    result.appendChild(box);
  }
  verifyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    banner("info", [{ text: t("checking", "Checking every hash of this record\u2026") }]);
    fetch(verifyUrl + "?format=json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (v) {
        var lines;
        if (v.ok) {
          lines = [{ strong: t("verified", "Chain verified"), text: ": " + t("intact", "all {n} events are intact; every hash matches its event and links to the one before.", { n: v.events }) }];
        } else {
          var b = v.broken[0];
          lines = [
            { strong: t("broken", "The chain is broken at seq {seq}", { seq: b.seq }), text: ": " + b.reason + "." },
            { text: t("untrusted", "Events from seq {seq} on cannot be trusted as recorded.", { seq: b.seq }) }
          ];
        }
        (v.retention_log || []).forEach(function (b) {
          lines.push({ text: t("retention", "The retention log is broken at seq {seq}: {reason}.", { seq: b.seq, reason: b.reason }) });
        });
        banner(v.ok && !(v.retention_log || []).length ? "success" : "error", lines);
        result.setAttribute("data-verified", v.ok ? "ok" : "broken");
      })
      .catch(function () { verifyForm.submit(); });  // the page itself shows the result
  });
})();
