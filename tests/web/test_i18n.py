"""Dutch first (the seed's labels), English on request; the catalogues are complete and compiled."""

import gettext

import pytest
from django.test import Client

from tests.web.catalogue import LOCALE, read_po, template_msgids


@pytest.mark.django_db
def test_login_page_is_dutch_by_default_even_for_an_english_browser(client):
    body = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert "Inloggen" in body and "Gebruikersnaam" in body and "Wachtwoord" in body
    assert 'lang="nl"' in body


@pytest.mark.django_db
def test_choosing_english_switches_the_labels_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"}, follow=True)
    body = response.content.decode()
    assert "Username" in body and "Gebruikersnaam" not in body and 'lang="en"' in body
    body = client.post("/i18n/setlang/", {"language": "nl", "next": "/login/"}, follow=True).content.decode()
    assert "Gebruikersnaam" in body


@pytest.mark.django_db
def test_an_unknown_language_keeps_dutch(client):
    client.cookies["django_language"] = "xx"
    assert "Gebruikersnaam" in client.get("/login/").content.decode()


@pytest.mark.django_db
def test_the_seeds_dutch_label_on_a_product_page_then_english(customer, manager):
    # "Herbereken data" is the seed's button on the usage page (msgid "Recalculate data").
    client = Client()
    client.force_login(manager)
    page = f"/customers/{customer.pk}/usage/"
    body = client.get(page).content.decode()
    assert "Herbereken data" in body and "Verbruik" in body
    body = client.post("/i18n/setlang/", {"language": "en", "next": page}, follow=True).content.decode()
    assert "Recalculate data" in body and "Herbereken data" not in body


@pytest.mark.django_db
def test_statuses_are_shown_in_the_users_language(customer, viewer):
    from telcost.jobs.diagnostics import PROBE_KIND
    from telcost.jobs.services import StepSpec, job_dispatch

    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    client = Client()
    client.force_login(viewer)
    assert "in de wachtrij" in client.get(f"/jobs/{job.pk}/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert ">queued<" in client.get(f"/jobs/{job.pk}/").content.decode().replace("\n", "")


SEED_LABELS = {
    "Recalculate data": "Herbereken data",
    "SIM actions": "Simacties",
    "Cost Centers": "Kostenplaatsen",
    "From which date do you want to download the cost center settings?":
        "Van welke datum wilt u de kostenplaats-instellingen downloaden?",
    "Start sync": "Start sync",
    "Are you sure you want to recalculate the totals?": "Are you sure you want to recalculate the totals?",
    "Agree": "Agree",
}


def test_the_seeds_labels_are_in_the_dutch_catalogue():
    from django.utils import translation

    with translation.override("nl"):
        for msgid, dutch in SEED_LABELS.items():
            assert translation.gettext(msgid) == dutch


def test_every_string_of_every_template_has_a_dutch_translation():
    nl = read_po(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    missing = {
        msgid: where for msgid, where in template_msgids().items()
        if not (nl.get(msgid) or nl.get((msgid, 0)))
    }
    assert not missing, (
        "Strings without a Dutch translation (see telcost/locale/README.md: makemessages, "
        f"translate, compilemessages): {missing}"
    )
    assert not nl["__fuzzy__"], f"Fuzzy (unchecked) Dutch translations: {nl['__fuzzy__']}"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_committed_mo_files_are_compiled_from_the_po_files(language):
    folder = LOCALE / language / "LC_MESSAGES"
    po = {k: v for k, v in read_po(folder / "django.po").items() if k != "__fuzzy__" and v}
    with open(folder / "django.mo", "rb") as mo_file:
        mo = {k: v for k, v in gettext.GNUTranslations(mo_file)._catalog.items() if k != ""}
    assert mo == po, "run compilemessages (telcost/locale/README.md) and commit the .mo"


def test_every_job_kind_and_step_label_has_a_dutch_translation():
    from django.utils import translation

    from telcost.jobs.kinds import registered_kinds
    from telcost.jobs.registry import registered_steps

    nl = read_po(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    with translation.override("en"):
        kinds = {name: str(kind.label) for name, kind in registered_kinds().items()}
        steps = {name: str(step.label) for name, step in registered_steps().items()}
    assert all(steps.values()), f"steps without a label: {[n for n, label in steps.items() if not label]}"
    missing = {name: label for name, label in {**kinds, **steps}.items() if not nl.get(label)}
    assert not missing, f"job kinds and steps whose label has no Dutch translation: {missing}"
