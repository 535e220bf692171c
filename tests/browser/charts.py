"""Reading a drawn chart back from the page: Chart.js's own objects, as the user sees them."""


def chart_data(page, chart_id: str) -> dict:
    canvas = f'canvas[data-chart="{chart_id}"]'
    page.wait_for_function(
        f"() => window.Chart && Chart.getChart(document.querySelector('{canvas}'))"
    )
    return page.evaluate(
        f"""() => {{
          const chart = Chart.getChart(document.querySelector('{canvas}'));
          const axis = chart.options.indexAxis === "y" ? "x" : "y";
          return {{
            labels: chart.data.labels,
            datasets: chart.data.datasets.map(d => d.data),
            // Money as the value axis and the tooltips write it, in the page's language.
            tick: chart.options.scales[axis].ticks.callback(7482.3056).replace(/\\u00a0/g, " "),
          }};
        }}"""
    )
