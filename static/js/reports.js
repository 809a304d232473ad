// Draws every chart of a report page (lending.core.reports) from the JSON the page embeds as #report-charts:
// a list of {id, title, type, labels, datasets: [{label, data, type?}], yTitle, stacked, money}. The page has one
// <canvas id="chart-<id>"> per chart. No inline script: the Content-Security-Policy allows our static files only.
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });

  function options(chart) {
    if (chart.type === "pie" || chart.type === "doughnut") {
      return { plugins: { legend: { position: "right" } } };
    }
    var y = { beginAtZero: true, stacked: chart.stacked };
    if (chart.yTitle) {
      y.title = { display: true, text: chart.yTitle };
    }
    if (chart.money) {
      y.ticks = { callback: function (value) { return dollars.format(value); } };
    }
    return {
      spanGaps: true,
      scales: { x: { stacked: chart.stacked }, y: y },
      plugins: { legend: { display: chart.datasets.length > 1 } },
    };
  }

  JSON.parse(source.textContent).forEach(function (chart) {
    var canvas = document.getElementById("chart-" + chart.id);
    if (!canvas) {
      return;
    }
    new Chart(canvas, {
      type: chart.type,
      data: { labels: chart.labels, datasets: chart.datasets },
      options: options(chart),
    });
  });
})();
