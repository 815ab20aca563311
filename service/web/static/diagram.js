// Draws each BPMN diagram of the page with bpmn-js (static/vendor) and highlights the path:
// <div class="diagram" id="X"> with its data in <script type="application/json" id="X-data">
// ({xml, completed, active, taken_flows}). window.AdvocacyDiagram.show(id, data) redraws the
// highlights (the auditor's replay calls it as the slider moves).
(function () {
  "use strict";
  var viewers = {};
  var marked = {};

  function highlight(id, data) {
    var viewer = viewers[id];
    if (!viewer) { return; }
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    (marked[id] || []).forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    marked[id] = [];
    function mark(ids, cls) {
      (ids || []).forEach(function (el) {
        if (registry.get(el)) { canvas.addMarker(el, cls); marked[id].push([el, cls]); }
      });
    }
    mark(data.completed, "hl-done");
    mark(data.taken_flows, "hl-flow");
    mark(data.active, "hl-active");
    var container = document.getElementById(id);
    container.setAttribute("data-active", (data.active || []).join(" "));
    container.setAttribute("data-completed", (data.completed || []).join(" "));
    container.setAttribute("data-seq", String(data.seq || ""));
  }

  function draw(id, data) {
    var container = document.getElementById(id);
    if (!container || typeof window.BpmnJS !== "function") { return; }
    container.innerHTML = "";
    var viewer = new window.BpmnJS({ container: container });
    viewers[id] = viewer;
    viewer.importXML(data.xml).then(function () {
      viewer.get("canvas").zoom("fit-viewport", "auto");
      highlight(id, data);
      container.setAttribute("data-ready", "true");
    }).catch(function (err) {
      container.innerHTML = "<p class=\"diagram-fallback\">The diagram could not be drawn; the steps are listed below.</p>";
      container.setAttribute("data-error", String(err && err.message || err));
    });
  }

  window.AdvocacyDiagram = { show: highlight, draw: draw };
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".diagram").forEach(function (el) {
      var source = document.getElementById(el.id + "-data");
      if (source) { draw(el.id, JSON.parse(source.textContent)); }
    });
  });
})();
