"""The usage page's per-device totals: 18,000 rows for a customer of 2,000 devices.

The template language's loop rendered them in 0.4 s, most of the page's time; one
format_html_join renders the same escaped cells in a fraction of that.
"""

from django import template
from django.utils.html import format_html_join

register = template.Library()

_ROW = ('<tr><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td class="num">€ {}</td></tr>')


@register.simple_tag
def totals_device_rows(devices: list[dict]):
    return format_html_join("", _ROW, ((d["msisdn"], d["record_type"], d["zone"], d["count"], d["duration_s"],
                                         d["volume_kb"], d["cost"]) for d in devices))
