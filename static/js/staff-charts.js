/* Draws the operations dashboard's charts with Chart.js (static/vendor/chartjs, vendored).
   Each chart's data comes from a <script type="application/json"> the server renders
   (json_script); a table beside each chart holds the same figures for screen readers. */
(function () {
  "use strict";
  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    var source = document.getElementById("dashboard-charts");
    if (!source) { return; }
    var charts = JSON.parse(source.textContent);
    window.Chart.defaults.color = "#1a1a1a";
    window.Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', sans-serif";
    charts.forEach(function (spec) {
      var canvas = document.getElementById(spec.id);
      if (!canvas || canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      var options = {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom" }, title: { display: false } },
        scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true } }
      };
      if (spec.horizontal) { options.indexAxis = "y"; }
      new window.Chart(canvas, { type: spec.type, data: { labels: spec.labels, datasets: spec.datasets }, options: options });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
