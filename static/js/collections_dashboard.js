// The collections dashboard's charts (Chart.js, vendored), drawn from the JSON the page embeds (no inline script:
// the Content-Security-Policy allows scripts from our static files only).
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);

  new Chart(document.getElementById("chart-buckets"), {
    type: "bar",
    data: {
      labels: data.buckets.labels,
      datasets: [{ label: "Loans", data: data.buckets.loans }],
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  new Chart(document.getElementById("chart-promises"), {
    type: "bar",
    data: {
      labels: data.promises.labels,
      datasets: [
        { label: "Kept", data: data.promises.kept },
        { label: "Broken", data: data.promises.broken },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  new Chart(document.getElementById("chart-rolls"), {
    type: "line",
    data: { labels: data.rolls.labels, datasets: data.rolls.series },
    options: {
      spanGaps: true,
      scales: { y: { beginAtZero: true, suggestedMax: 100, title: { display: true, text: "% rolled" } } },
    },
  });
})();
