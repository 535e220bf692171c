"""The outbound HTTP wrapper under a sync's load: a page's body is freed as soon as it is dropped."""

import gc
import weakref

from telcost.integrations.http import send


def test_a_read_response_is_freed_without_the_cyclic_collector(provider_sim):
    provider_sim.control(records=500, page_size=500)
    gc.disable()  # only reference counting: what a long sync between two collections relies on
    try:
        response = send("GET", f"{provider_sim.base_url}/cdrs", params={"month": "2026-09", "page": 1},
                        headers={"Authorization": "Bearer key-x"})
        assert len(response.json()["records"]) == 500
        alive = weakref.ref(response)
        del response
        assert alive() is None, "the response (and its megabytes of body) waits for the garbage collector"
    finally:
        gc.enable()
