"""A real SMTP server (aiosmtpd) on loopback, for the tests of every mail."""

import asyncio
import socket
import threading

from aiosmtpd.controller import Controller


class Inbox:
    """What a real SMTP server received. `hold_data` / `hold_quit`, when set, make the server wait
    (the client hangs in DATA or QUIT) until `release` is set; `accept_held` says whether a held
    DATA is then accepted (250) or refused (451: the message was never taken)."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Event()
        self.hold_data = False
        self.hold_quit = False
        self.held = threading.Event()
        self.release = threading.Event()
        self.accept_held = True

    async def _wait_for_release(self):
        self.held.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.hold_data:
            await self._wait_for_release()
            if not self.accept_held:
                return "451 Try again later"
        self.messages.append(envelope)
        self.arrived.set()
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.hold_quit:
            await self._wait_for_release()
        return "221 Bye"


def smtp_mailers(port: int, **options) -> dict:
    """MAILERS that send over SMTP to 127.0.0.1:port."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, **options},
        }
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp(port: int, inbox: Inbox | None = None) -> Controller:
    """A real aiosmtpd server on 127.0.0.1:port (stop it with .stop())."""
    controller = Controller(inbox or Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller
