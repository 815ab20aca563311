// The language switch keeps a half-filled form: before switching, the page's form values are kept in
// sessionStorage for this address; the same page in the other language puts them back (then forgets them).
(function () {
  "use strict";
  var KEY = "advocacy-flow.form:" + location.pathname + location.search;
  var switcher = document.getElementById("language-switch");
  var form = document.querySelector("form.task-form");
  if (switcher && form) {
    switcher.addEventListener("submit", function () {
      var values = [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "csrf_token" || el.type === "submit") return;
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
        values.push([el.name, el.value]);
      });
      try { sessionStorage.setItem(KEY, JSON.stringify(values)); } catch (e) { /* storage off: nothing kept */ }
    });
  }
  var kept = null;
  try { kept = sessionStorage.getItem(KEY); sessionStorage.removeItem(KEY); } catch (e) { kept = null; }
  if (!form || !kept) return;
  var pairs = JSON.parse(kept);
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || el.name === "csrf_token") return;
    var mine = pairs.filter(function (p) { return p[0] === el.name; }).map(function (p) { return p[1]; });
    if (el.type === "radio" || el.type === "checkbox") { el.checked = mine.indexOf(el.value) !== -1; }
    else if (mine.length) { el.value = mine[0]; }
  });
})();
