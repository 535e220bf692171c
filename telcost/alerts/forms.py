"""The rule form of the alerts page: it parses what a person typed (a threshold as their language
writes it, recipients one per line); the service checks the rule and has the last word, its
messages shown beside the fields."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from telcost.alerts.models import Language, Metric, Scope
from telcost.alerts.services import MAX_THRESHOLD
from telcost.core.formatting import number_style


class AmountField(forms.DecimalField):
    """A decimal as the reader's language writes it, thousands separators included: "1.500,50"
    in Dutch, "1,500.50" in English. (Django drops them only when USE_THOUSAND_SEPARATOR is on;
    without that a Dutch "1.500" would be one and a half.)"""

    def to_python(self, value):
        if isinstance(value, str):
            style = number_style()
            text = value.strip().replace(" ", "")
            thousands, decimal = map(
                re.escape, (style.thousands_separator, style.decimal_separator)
            )
            if thousands and re.fullmatch(rf"\d{{1,3}}({thousands}\d{{3}})+({decimal}\d*)?", text):
                text = text.replace(style.thousands_separator, "")
            value = text
        return super().to_python(value)


class AlertRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    metric = forms.ChoiceField(label=_("Metric"), choices=Metric.choices)
    scope = forms.ChoiceField(label=_("Applies to"), choices=Scope.choices)
    target = forms.CharField(
        label=_("Cost center code or device number"),
        required=False,
        max_length=64,
        help_text=_("Empty: the whole customer, or each cost center or each device on its own."),
    )
    threshold = AmountField(
        label=_("Threshold (€, or MB for data)"),
        min_value=0,
        max_value=MAX_THRESHOLD,
        max_digits=14,
        decimal_places=4,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 12}),
    )
    recipients = forms.CharField(
        label=_("Recipients"),
        help_text=_("Email addresses, one per line (at most 20)."),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 36}),
    )
    language = forms.ChoiceField(label=_("Language of the mail"), choices=Language.choices)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def rule_fields(self) -> dict:
        """The cleaned fields as the service takes them."""
        data = dict(self.cleaned_data)
        data["target"] = data["target"].strip() or None
        return data


def initial_of(rule) -> dict:
    return {
        "name": rule.name,
        "metric": rule.metric,
        "scope": rule.scope,
        "target": rule.target or "",
        "threshold": rule.threshold.normalize() if rule.threshold else rule.threshold,
        "recipients": "\n".join(rule.recipients),
        "language": rule.language,
        "active": rule.active,
    }
