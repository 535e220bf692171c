"""Where mail goes, as telcost's settings read it from the environment: SMTP with EMAIL_HOST, files
without."""

import os
import subprocess
import sys

from tests.conftest import ROOT

SEND = (
    "from django.core.mail import send_mail; "
    "send_mail('probe', 'a body', None, ['someone@localhost'])"
)


def send_with(env_changes: dict) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("EMAIL_HOST", "EMAIL_PORT")}
    subprocess.run(
        [sys.executable, "-m", "telcost.manage", "shell", "-c", SEND],
        env={**env, **env_changes},
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_with_email_host_mail_goes_to_that_smtp_server(smtp, tmp_path):
    send_with(
        {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "TELCOST_VAR_DIR": str(tmp_path)}
    )
    assert smtp.arrived.wait(10)
    assert b"Subject: probe" in smtp.messages[0].content
    assert not (tmp_path / "mail").exists() or not any((tmp_path / "mail").iterdir())


def test_without_email_host_each_mail_is_a_file_under_var_mail(smtp, tmp_path):
    send_with({"TELCOST_VAR_DIR": str(tmp_path)})
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1 and "Subject: probe" in files[0].read_text()
    assert not smtp.messages
