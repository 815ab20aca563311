// Draws the heat map panel's diagram (templates/_heatmap.html) with bpmn-js: each step is shaded by how
// many tasks wait there now (hm-heat-1..3) and carries an overlay with the tasks waiting now and the
// median wait. The figures come from <script type="application/json" id="heatmap-figures">
// ({xml, labels: {waiting, median}, items: [{activity_id, waiting, median, heat}]}), already written in
// the page's language; the table beside the diagram gives the same figures.
(function () {
  "use strict";

  function line(label, value, cls) {
    var row = document.createElement("span");
    row.className = cls;
    var name = document.createElement("span");
    name.className = "hm-label";
    name.textContent = label + ": ";
    var figure = document.createElement("strong");
    figure.textContent = value;
    row.appendChild(name);
    row.appendChild(figure);
    return row;
  }

  function decorate(viewer, container, data) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var drawn = 0;
    (data.items || []).forEach(function (item) {
      var element = registry.get(item.activity_id);
      if (!element) { return; }
      canvas.addMarker(item.activity_id, "hm-heat-" + String(item.heat || 0));
      var box = document.createElement("div");
      box.className = "hm-overlay";
      box.setAttribute("data-activity", item.activity_id);
      box.appendChild(line(data.labels.waiting, item.waiting, "hm-waiting"));
      box.appendChild(line(data.labels.median, item.median, "hm-median"));
      overlays.add(item.activity_id, "heatmap", { position: { bottom: -2, left: 0 }, html: box });
      drawn += 1;
    });
    container.setAttribute("data-overlays", String(drawn));
  }

  function draw(container, data) {
    if (typeof window.BpmnJS !== "function") { return; }
    var fallback = container.innerHTML;
    container.innerHTML = "";
    var viewer = new window.BpmnJS({ container: container });
    viewer.importXML(data.xml).then(function () {
      viewer.get("canvas").zoom("fit-viewport", "auto");
      decorate(viewer, container, data);
      container.setAttribute("data-ready", "true");
    }).catch(function (err) {
      container.innerHTML = fallback;
      container.setAttribute("data-error", String(err && err.message || err));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("heatmap-diagram");
    var source = document.getElementById("heatmap-figures");
    if (container && source) { draw(container, JSON.parse(source.textContent)); }
  });
})();
