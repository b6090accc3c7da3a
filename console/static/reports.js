// Reports: draws the dashboard's charts with the vendored Chart.js from the JSON the page carries
// (every chart's numbers are also in the table below it), and prints the complaint register.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  var palette = ["#1f6feb", "#d4a72c", "#2da44e", "#cf222e", "#8250df", "#bf8700", "#0969da", "#57606a"];
  function draw(spec) {
    var el = document.getElementById(spec.id);
    if (!el || typeof Chart === "undefined") { return; }
    var twoAxes = false;
    var datasets = (spec.series || []).map(function (s, i) {
      if (s.axis === "y2") { twoAxes = true; }
      var ds = { label: s.label, data: s.data || [], yAxisID: s.axis === "y2" ? "y2" : "y" };
      if (spec.type === "doughnut") {
        ds.backgroundColor = palette;
      } else {
        ds.backgroundColor = palette[i % palette.length];
        ds.borderColor = palette[i % palette.length];
      }
      if (s.line) { ds.type = "line"; ds.tension = 0.2; }
      return ds;
    });
    var options = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: datasets.length > 1 || spec.type === "doughnut" } } };
    if (spec.type !== "doughnut") {
      options.scales = { y: { beginAtZero: true, position: "left" } };
      // Counts (cases, ratings) have whole-number ticks: never 0.2 of a case.
      if (spec.counts) { options.scales.y.ticks = { precision: 0 }; }
      if (twoAxes) { options.scales.y2 = { beginAtZero: true, suggestedMax: 5, position: "right", grid: { drawOnChartArea: false } }; }
    }
    el.chart = new Chart(el, { type: spec.type, data: { labels: spec.labels || [], datasets: datasets }, options: options });
  }
  ready(function () {
    var data = document.getElementById("report-charts");
    if (data) {
      try { (JSON.parse(data.textContent) || []).forEach(draw); } catch (e) { /* the tables still show every number */ }
    }
    var print = document.getElementById("print-register");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
  });
})();
