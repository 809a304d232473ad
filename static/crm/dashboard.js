// The CRM dashboard's charts, drawn from the figures the page embeds (json_script: no inline script under the CSP).
(function () {
  "use strict";
  var source = document.getElementById("crm-dashboard-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  function bar(id, labels, values, label, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: label, data: values, backgroundColor: "#0d6efd" }] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
      },
    });
  }
  bar("crm-chart-stages", data.stages.labels, data.stages.counts, "Leads", false);
  bar("crm-chart-sources", data.sources.labels, data.sources.counts, "Leads", true);
  bar("crm-chart-officers", data.officers.labels, data.officers.won, "Won", true);
})();
