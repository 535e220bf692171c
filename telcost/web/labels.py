"""The seed's Dutch UI labels, as English message ids, kept in the catalogue for every page.

The seed (the older PHP system's description) names these labels in Dutch. Pages
write the English id (`{% translate "Recalculate data" %}`) and the `nl`
catalogue gives the seed's words ("Herbereken data"). Marking them here keeps
`makemessages` from dropping the ones no template uses yet, so a page that
starts using one is Dutch at once. Nothing imports these at run time.
"""

from django.utils.translation import gettext_noop

SEED_LABELS = [
    # Workflow 1: the usage page's button, the admin page's confirmation (the seed left these
    # two in English; Dutch pages say "Weet u zeker…" and "Akkoord").
    gettext_noop("Recalculate data"),  # Herbereken data
    gettext_noop("Are you sure you want to recalculate the totals?"),
    gettext_noop("Agree"),
    # Workflows 2 and 3: Admin → SIM Cards → Simacties, action "addons".
    gettext_noop("SIM actions"),  # Simacties
    gettext_noop("addons"),
    gettext_noop("Activate addons"),
    gettext_noop("Cancel addons"),
    # Workflow 4: Sync Profiles → profile → "Start sync" → month → "Start".
    gettext_noop("Start sync"),
    gettext_noop("Start"),
    gettext_noop("Sync now"),
    # Workflow 5: Cost Centers → Details → Export dialog.
    gettext_noop("Cost Centers"),  # Kostenplaatsen
    gettext_noop("Details"),
    gettext_noop("Export"),
    gettext_noop("From which date do you want to download the cost center settings?"),
    gettext_noop("Download"),
    gettext_noop("Export completed"),
]
