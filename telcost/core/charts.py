"""Chart.js configurations for telcost/web/static/web/charts.js, which draws every
`<canvas data-chart="ID">` from a `json_script` element ID holding one. One shape for every
money chart, so each page's charts read alike."""


def money_chart(kind: str, labels: list[str], datasets: list[dict], **options) -> dict:
    """A chart of euros: charts.js writes the value axis and the tooltips as money in the
    page's language (telcostMoney; the CSP allows no callbacks in the JSON). `options` are
    Chart.js options, over these defaults."""
    return {
        "type": kind,
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "telcostMoney": True,
            "responsive": True,
            "maintainAspectRatio": False,
            "animation": False,
            **options,
        },
    }
