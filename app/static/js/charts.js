// Charts for the reports: each <canvas data-chart='{…}'> becomes a Chart.js chart.
// The description comes from the server as JSON in the attribute (the CSP allows no
// inline script); every chart has the same numbers in a table beneath it.
//
// {type, labels, datasets: [{label, data, color, type?, axis?, stack?}],
//  stacked?, horizontal?, percent?, axes?: {x?, y?, y1?}}
(() => {
  "use strict";

  const numberFormat = new Intl.NumberFormat(document.documentElement.lang || "ru");

  function axisTitle(text) {
    return text ? { display: true, text } : { display: false };
  }

  function build(canvas) {
    let spec;
    try {
      spec = JSON.parse(canvas.dataset.chart);
    } catch (error) {
      return; // the table beneath still shows the numbers
    }
    const horizontal = Boolean(spec.horizontal);
    const valueAxis = horizontal ? "x" : "y";
    const categoryAxis = horizontal ? "y" : "x";
    const axes = spec.axes || {};
    const datasets = (spec.datasets || []).map((item) => {
      const dataset = {
        label: item.label,
        data: item.data,
        backgroundColor: item.color,
        borderColor: item.color,
      };
      if (item.type) dataset.type = item.type;
      if (item.stack) dataset.stack = item.stack;
      if (item.type === "line") {
        dataset.fill = false;
        dataset.tension = 0.2;
        dataset.order = -1; // drawn over the bars
      }
      if (item.axis) dataset[horizontal ? "xAxisID" : "yAxisID"] = item.axis;
      return dataset;
    });

    const scales = {};
    scales[categoryAxis] = { stacked: Boolean(spec.stacked), title: axisTitle(axes[categoryAxis]) };
    scales[valueAxis] = {
      stacked: Boolean(spec.stacked),
      beginAtZero: true,
      title: axisTitle(axes[valueAxis]),
      ticks: { precision: 0 },
    };
    if (spec.percent) scales[valueAxis].max = 100;
    if (datasets.some((d) => d.yAxisID === "y1" || d.xAxisID === "y1")) {
      scales.y1 = {
        position: "right",
        beginAtZero: true,
        grid: { drawOnChartArea: false },
        title: axisTitle(axes.y1),
        ticks: { precision: 0 },
      };
    }

    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels || [], datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? "y" : "x",
        locale: document.documentElement.lang || "ru",
        scales,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: (context) => {
                const value = horizontal ? context.parsed.x : context.parsed.y;
                const suffix = spec.percent ? " %" : "";
                return `${context.dataset.label}: ${numberFormat.format(value)}${suffix}`;
              },
            },
          },
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach(build);
  });
})();
