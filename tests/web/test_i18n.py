"""Dutch first (the seed's labels), English on request; the catalogues are complete and compiled."""

import gettext

import pytest
from django.test import Client

from tests.web.catalogue import LOCALE, python_msgids, read_po, template_msgids


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
    body = client.post(
        "/i18n/setlang/", {"language": "nl", "next": "/login/"}, follow=True
    ).content.decode()
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
    body = client.post(
        "/i18n/setlang/", {"language": "en", "next": page}, follow=True
    ).content.decode()
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
    "From which date do you want to download the cost center settings?": "Van welke datum wilt u "
    "de kostenplaats-instellingen downloaden?",
    # The seed left these in English on its Dutch pages; a Dutch page has no English word (issue
    # 17).
    "Start sync": "Sync starten",
    "Are you sure you want to recalculate the totals?": "Weet u zeker dat u de totalen wilt "
    "herberekenen?",
    "Agree": "Akkoord",
}


def test_the_seeds_labels_are_in_the_dutch_catalogue():
    from django.utils import translation

    with translation.override("nl"):
        for msgid, dutch in SEED_LABELS.items():
            assert translation.gettext(msgid) == dutch


def test_every_string_of_every_template_has_a_dutch_translation():
    nl = read_po(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    missing = {
        msgid: where
        for msgid, where in template_msgids().items()
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
    assert all(steps.values()), (
        f"steps without a label: {[n for n, label in steps.items() if not label]}"
    )
    missing = {name: label for name, label in {**kinds, **steps}.items() if not nl.get(label)}
    assert not missing, f"job kinds and steps whose label has no Dutch translation: {missing}"


def test_no_entry_of_the_dutch_catalogue_is_untranslated_or_fuzzy():
    nl = read_po(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    untranslated = sorted(str(k) for k, v in nl.items() if k != "__fuzzy__" and not v)
    assert not untranslated, (
        f"Untranslated Dutch entries (telcost/locale/README.md): {untranslated}"
    )
    assert not nl["__fuzzy__"], f"Fuzzy (unchecked) Dutch translations: {nl['__fuzzy__']}"


def test_every_string_the_code_marks_for_translation_is_in_the_dutch_catalogue():
    nl = read_po(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    missing = {
        msgid: where
        for msgid, where in python_msgids().items()
        if not (nl.get(msgid) or nl.get((msgid, 0)))
    }
    assert not missing, (
        f"Marked for translation but not in the Dutch catalogue (run makemessages): {missing}"
    )


def test_the_catalogue_test_reads_python_strings():
    # The scan above must see the code's strings, or it proves nothing.
    found = python_msgids()
    assert "the provider could not be reached" in found and "reason\x04admin" in found
    assert "Too many requests: at most 10 a minute. Try again in %(seconds)s seconds." in found


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            (
                "Toegang geweigerd",
                "U mag deze pagina niet openen.",
                "Pagina niet gevonden",
                "Het formulier is verlopen",
            ),
        ),
        (
            "en",
            (
                "Access denied",
                "You may not open this page.",
                "Page not found",
                "The form has expired",
            ),
        ),
    ],
)
def test_the_403_404_and_csrf_pages_speak_the_readers_language(viewer, language, words):
    denied, may_not, not_found, expired = words
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    client.cookies["django_language"] = language
    forbidden = client.get("/admin/cost-centers/")
    assert (
        forbidden.status_code == 403
        and denied in forbidden.content.decode()
        and may_not in forbidden.content.decode()
    )
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and not_found in missing.content.decode()
    stale = client.post("/switch-customer/", {"customer_id": "1"})
    assert stale.status_code == 403 and expired in stale.content.decode()
