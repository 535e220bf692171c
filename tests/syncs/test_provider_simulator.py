"""The provider stand-in serves a page it made before as stored bytes, as a provider serves stored
records."""

import httpx

from telcost.simulators import provider as provider_module


def page(sim, n: int, key: str = "key-acme") -> bytes:
    response = httpx.get(
        f"{sim.base_url}/cdrs",
        params={"month": "2026-09", "page": n},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    return response.content


def test_a_page_is_made_once_and_served_the_same_again(provider_sim, monkeypatch):
    made = []
    real_feed_page = provider_module.feed_page
    monkeypatch.setattr(
        provider_module, "feed_page", lambda *args: made.append(args) or real_feed_page(*args)
    )
    last = page(provider_sim, 3)  # 250 records by 100: the last page holds 50
    assert page(provider_sim, 3) == last and len(made) == 1
    page(provider_sim, 2)
    page(provider_sim, 3, key="key-other")  # another account's page is its own
    assert len(made) == 3
    provider_sim.control(records=251)  # a month with one more record: its pages are made anew
    assert page(provider_sim, 3) != last and len(made) == 4


def test_the_store_keeps_to_its_budget_and_misbehaviour_is_never_stored(provider_sim):
    provider_sim.state.store_limit_bytes = (
        len(page(provider_sim, 1)) + 10
    )  # room for that one page only
    page(provider_sim, 2)
    assert len(provider_sim.state.pages) == 1
    provider_sim.control(mode="malformed", times=1)
    spoiled = page(provider_sim, 1)
    assert spoiled != page(provider_sim, 1)  # the malformed answer was made for that call alone
