"""Start-up refuses to run without its secrets; the documented production settings pass
`telcost check --deploy`; every page carries a Content-Security-Policy that allows no inline script.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# README's production settings (Security section), with stand-in values.
PRODUCTION_ENV = {
    "TELCOST_SECRET_KEY": "pr0duction-Secret-k3y-that-is-long-and-random-enough-9f8e7d6c5b4a",
    "TELCOST_CREDENTIALS_KEYS": "p0kBYX1ZyA6jAqrT1d3bW4mA7w0lXJ5QnSbKq4bdMxg=",
    "TELCOST_ALLOWED_HOSTS": "telcost.example.com",
    "TELCOST_BASE_URL": "https://telcost.example.com",
    "TELCOST_HTTPS": "true",
    "EMAIL_HOST": "smtp.example.com",
}


def run_telcost(*args: str, env: dict, tmp_path) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELCOST_", "DJANGO_")) and k != "DATABASE_URL"
    }
    full_env = {**base, "TELCOST_VAR_DIR": str(tmp_path / "var"), **env}
    return subprocess.run(
        [sys.executable, "-m", "telcost.manage", *args],
        env=full_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_under_the_documented_production_settings(tmp_path):
    done = run_telcost(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_start_up_without_a_secret_key_fails_naming_the_variable(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "TELCOST_SECRET_KEY"}
    done = run_telcost("check", env=env, tmp_path=tmp_path)
    assert done.returncode != 0
    assert "TELCOST_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr


def test_start_up_without_credentials_keys_fails_naming_the_variable(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "TELCOST_CREDENTIALS_KEYS"}
    done = run_telcost("check", env=env, tmp_path=tmp_path)
    assert done.returncode != 0 and "TELCOST_CREDENTIALS_KEYS" in done.stderr


@pytest.mark.parametrize(
    "keys", ["not-a-fernet-key", "p0kBYX1ZyA6jAqrT1d3bW4mA7w0lXJ5QnSbKq4bdMxg=,short"]
)
def test_a_credentials_key_that_is_not_a_fernet_key_stops_start_up(tmp_path, keys):
    done = run_telcost(
        "check", env={**PRODUCTION_ENV, "TELCOST_CREDENTIALS_KEYS": keys}, tmp_path=tmp_path
    )
    assert (
        done.returncode != 0
        and "TELCOST_CREDENTIALS_KEYS" in done.stderr
        and "Fernet" in done.stderr
    )


def test_the_replaced_single_credentials_key_setting_says_what_to_do(tmp_path):
    done = run_telcost(
        "check", env={**PRODUCTION_ENV, "TELCOST_CREDENTIALS_KEY": "old"}, tmp_path=tmp_path
    )
    assert done.returncode != 0
    assert (
        "TELCOST_CREDENTIALS_LEGACY_SECRET" in done.stderr and "rotate_credentials" in done.stderr
    )


def test_production_cookies_are_secure_and_plain_http_is_redirected(tmp_path):
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.LANGUAGE_COOKIE_SECURE)"
    )
    done = run_telcost("shell", "--no-imports", "-c", script, env=PRODUCTION_ENV, tmp_path=tmp_path)
    assert done.stdout.split() == ["True", "True", "True", "31536000", "None", "True"], done.stderr
    behind = run_telcost(
        "shell",
        "--no-imports",
        "-c",
        script,
        env={**PRODUCTION_ENV, "TELCOST_BEHIND_PROXY": "true"},
        tmp_path=tmp_path,
    )
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in behind.stdout, behind.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/docs"])
def test_pages_carry_a_csp_without_inline_scripts(client, path):
    response = client.get(path)
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives.get("script-src") == "'self'", policy
    assert "unsafe" not in policy
    assert (
        directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'"
    )


TEMPLATE_ROOT = ROOT / "telcost"
INLINE_SCRIPT = re.compile(
    r"""\son[a-z]+\s*=|hx-on|<script(?![^>]*\bsrc=)(?![^>]*type="application/json")""",
    re.IGNORECASE,
)


def test_no_template_has_inline_script_or_handlers():
    offenders = []
    for template in TEMPLATE_ROOT.rglob("templates/**/*.html"):
        if "simulators" in template.parts:
            continue
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if INLINE_SCRIPT.search(line):
                offenders.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_demo_generates_its_keys_into_var_once_and_reuses_them(tmp_path):
    from cryptography.fernet import Fernet

    from telcost.demo_runner import demo_secrets

    first, again = {"TELCOST_VAR_DIR": str(tmp_path)}, {"TELCOST_VAR_DIR": str(tmp_path)}
    demo_secrets(first)
    demo_secrets(again)
    assert first == again and len(first["TELCOST_SECRET_KEY"]) >= 50
    Fernet(first["TELCOST_CREDENTIALS_KEYS"])
    stored = tmp_path / "demo-secrets.json"
    assert stored.stat().st_mode & 0o077 == 0, "readable by its owner only"
    given = {"TELCOST_VAR_DIR": str(tmp_path), "TELCOST_SECRET_KEY": "from-the-environment"}
    demo_secrets(given)
    assert given["TELCOST_SECRET_KEY"] == "from-the-environment"
    done = run_telcost(
        "check", env={k: v for k, v in first.items() if k != "TELCOST_VAR_DIR"}, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stderr


def test_old_secret_keys_can_stay_as_fallbacks_while_sessions_move_over(tmp_path):
    old = "0ld-secret-key-that-was-long-and-random-enough-1a2b3c4d5e6f7a8b9c0d"
    env = {**PRODUCTION_ENV, "TELCOST_SECRET_KEY_FALLBACKS": f" {old} ,"}
    done = run_telcost(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.SECRET_KEY_FALLBACKS)",
        env=env,
        tmp_path=tmp_path,
    )
    assert done.stdout.strip() == repr([old]), done.stderr
    deploy = run_telcost("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
