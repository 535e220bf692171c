"""`make demo`: migrate, start the simulators, load the demo data (its months calculated, its
sync profiles run once against the simulators), then start web + worker on 127.0.0.1.

Ctrl-C (or SIGTERM) stops everything it started. Ports: TELCOST_PORT (8000),
the Nina simulator TELCOST_PORT+101 and the provider simulator TELCOST_PORT+102 when those
exist, so a second demo on another TELCOST_PORT (or the demo's test beside a running demo)
does not collide. NINA_API_URL and PROVIDER_SIMULATOR_URL tell the processes where they are.
"""

import importlib.util
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _telcost(*args: str) -> list[str]:
    return [sys.executable, "-m", "telcost.manage", *args]


def demo_secrets(env: dict) -> None:
    """The demo's TELCOST_SECRET_KEY and TELCOST_CREDENTIALS_KEYS, generated into var/ once.

    Reused on every start, so logins and stored provider credentials survive a restart;
    values already in the environment win. The file is readable by its owner only.
    """
    from cryptography.fernet import Fernet

    var_dir = env.get("TELCOST_VAR_DIR") or os.path.join(ROOT, "var")
    path = os.path.join(var_dir, "demo-secrets.json")
    try:
        with open(path) as file:
            stored = json.load(file)
    except FileNotFoundError:
        stored = {}
    wanted = {
        "TELCOST_SECRET_KEY": stored.get("TELCOST_SECRET_KEY") or secrets.token_urlsafe(50),
        "TELCOST_CREDENTIALS_KEYS": (
            stored.get("TELCOST_CREDENTIALS_KEYS") or Fernet.generate_key().decode()
        ),
    }
    if wanted != stored:
        os.makedirs(var_dir, exist_ok=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
            json.dump(wanted, file)
    for name, value in wanted.items():
        if not env.get(name):
            env[name] = value


def _wait_for_http(url: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback server
                return True
        except Exception:  # not up yet
            time.sleep(0.3)
    return False


def main() -> int:
    port = int(os.environ.get("TELCOST_PORT", "8000"))
    base_url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.setdefault("TELCOST_BASE_URL", base_url)
    env.setdefault("PYTHONUNBUFFERED", "1")
    demo_secrets(env)
    # The simulators listen on loopback: the demo's http_api profiles may call them.
    env.setdefault("TELCOST_ALLOW_PRIVATE_PROVIDER_URLS", "true")
    simulators = []
    if importlib.util.find_spec("telcost.simulators.nina"):
        nina_port = port + 101
        env.setdefault("NINA_API_URL", f"http://127.0.0.1:{nina_port}")
        simulators.append(
            (
                "Nina API simulator",
                [sys.executable, "-m", "telcost.simulators.nina", "--port", str(nina_port)],
            )
        )
    if importlib.util.find_spec("telcost.simulators.provider"):
        provider_port = port + 102
        env.setdefault("PROVIDER_SIMULATOR_URL", f"http://127.0.0.1:{provider_port}")
        provider_args = ["-m", "telcost.simulators.provider", "--port", str(provider_port)]
        simulators.append(("provider simulator", [sys.executable, *provider_args]))

    subprocess.run(_telcost("migrate", "--noinput", "-v", "0"), check=True, env=env, cwd=ROOT)

    processes: list[tuple[str, subprocess.Popen]] = []

    def start(name: str, args: list[str]) -> None:
        # Own process group per child, so a stop reaches whatever each one spawns.
        processes.append((name, subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True)))

    def stop(*_args, code: int = 0) -> None:
        for _, proc in processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, proc in processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        print("\ntelcost demo stopped.", flush=True)
        sys.exit(code)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # The simulators first: the demo's sync profiles make their first run against them while the
    # demo loads, so the sync pages show a finished sync on first login.
    for name, args in simulators:
        start(name, args)
        _wait_for_http(f"http://127.0.0.1:{args[-1]}/_control", timeout=30)
    try:
        demo = subprocess.run(
            _telcost("load_demo", "--sync"),
            check=True,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        print(exc.stdout, exc.stderr, sep="\n", file=sys.stderr)
        stop(code=1)
    start("worker", _telcost("worker"))
    start("web", _telcost("runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"))
    if not _wait_for_http(f"{base_url}/login/"):
        print("the web server did not come up", file=sys.stderr)
        stop(code=1)
    mail = (
        f"SMTP {env['EMAIL_HOST']}:{env.get('EMAIL_PORT', '25')}"
        if env.get("EMAIL_HOST")
        else os.path.join(env.get("TELCOST_VAR_DIR", os.path.join(ROOT, "var")), "mail")
    )
    print("\n" + "=" * 64)
    print(f"telcost is running at {base_url}/")
    print(demo.stdout.strip())
    print(f"Mails (export links) go to: {mail}")
    for name, args in simulators:
        print(f"Running: {name} on http://127.0.0.1:{args[-1]}")
    print("Press Ctrl-C to stop everything.")
    print("=" * 64, flush=True)
    while True:
        for name, proc in processes:
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping.", file=sys.stderr)
                stop(code=1)
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
