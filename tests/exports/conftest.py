import socket
import threading

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        self.arrived.set()
        return "250 OK"


def smtp_mailers(port: int, **options) -> dict:
    """MAILERS that send over SMTP to 127.0.0.1:port."""
    return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                        "OPTIONS": {"host": "127.0.0.1", "port": port, **options}}}


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback; settings point Django's mail at it."""
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    settings.MAILERS = smtp_mailers(port)
    yield inbox
    controller.stop()
