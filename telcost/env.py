"""Every setting that comes from the environment is parsed here, strictly.

A bad value stops start-up with a message naming the variable, instead of a
half-configured process failing later in a worker.
"""

import os
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent


class SettingsError(SystemExit):
    def __init__(self, name: str, value: str, why: str) -> None:
        super().__init__(f"telcost: bad setting {name}={value!r}: {why}")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_required(name: str, how: str) -> str:
    """A value telcost must not guess (a secret): start-up stops when it is missing."""
    value = env_str(name)
    if not value:
        raise SystemExit(f"telcost: {name} is not set. {how}")
    return value


def env_fernet_keys(name: str, how: str) -> list[str]:
    """A comma-separated list of Fernet keys: the first encrypts, all decrypt (MultiFernet)."""
    from cryptography.fernet import Fernet

    keys = [key.strip() for key in env_required(name, how).split(",") if key.strip()]
    if not keys:
        raise SystemExit(f"telcost: {name} is not set. {how}")
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            # The value is a secret: name its position, never echo it.
            raise SystemExit(
                f"telcost: bad setting {name}: key {number} is not a Fernet key "
                f"(32 url-safe base64-encoded bytes). {how}"
            ) from None
    return keys


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, raw, "expected a whole number") from None
    if minimum is not None and value < minimum:
        raise SettingsError(name, raw, f"must be at least {minimum}")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, raw, "expected a number") from None
    if value < minimum:
        raise SettingsError(name, raw, f"must be at least {minimum}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(name, raw, "expected true or false")


def env_url(name: str, default: str = "") -> str:
    raw = env_str(name, default)
    if not raw:
        return ""
    parsed = urlparse(raw)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise SettingsError(name, raw, "expected an http(s) URL with a host")
    return raw.rstrip("/")


def env_dir(name: str, default: Path) -> Path:
    """An absolute directory path (it need not exist yet)."""
    raw = env_str(name)
    if not raw:
        return default
    if not Path(raw).is_absolute():
        raise SettingsError(name, raw, "expected an absolute path")
    return Path(raw)


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() not in choices:
        raise SettingsError(name, raw, f"expected one of: {', '.join(choices)}")
    return raw.lower()


def database_pooler() -> str:
    """TELCOST_DB_POOLER: what stands between telcost and PostgreSQL. `transaction`: a pooler in
    transaction mode (pgbouncer's pool_mode=transaction), which gives each transaction, or each
    statement outside one, whichever server connection is free. `none`: a direct connection (or a
    pooler in session mode, which is the same to telcost)."""
    return env_choice("TELCOST_DB_POOLER", ("none", "transaction"), "none")


def database_config(var_dir: Path, pooler: str = "none") -> dict:
    """DATABASE_URL (dj-database-url forms) or the embedded SQLite file under var/.

    Behind a pooler in transaction mode (`pooler`, database_pooler()) a server-side cursor must
    not outlive its transaction: outside one Django declares it WITH HOLD and fetches from it in
    later statements, which the pooler may send to another server connection. So QuerySet.iterator()
    reads client-side there; the few big streaming reads (the CDR export) open theirs inside a
    transaction with connection.chunked_cursor(), which this setting does not touch. Prepared
    statements are off either way (Django's default prepare_threshold=None).
    """
    import dj_database_url

    raw = env_str("DATABASE_URL")
    if not raw:
        raw = f"sqlite:///{var_dir / 'telcost.sqlite3'}"
    try:
        config = dj_database_url.parse(raw)
    except Exception as exc:  # dj-database-url raises several types for bad URLs
        raise SettingsError("DATABASE_URL", raw, str(exc)) from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        name = str(config["NAME"])
        if name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        # Measured: WAL + IMMEDIATE + a long busy timeout is what holds with a web
        # process and workers writing at once (JOBS.md). Persistent connections keep
        # the transaction mode, which a fresh connection per request would lose.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA "
            "busy_timeout=30000;",
        }
        config["CONN_MAX_AGE"] = None
        config["TEST"] = {"NAME": str(Path(name).with_name("test_" + Path(name).name))}
    elif engine == "django.db.backends.postgresql":
        config["CONN_MAX_AGE"] = None
        config["CONN_HEALTH_CHECKS"] = True
        if pooler == "transaction":
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        raise SettingsError("DATABASE_URL", raw, "only sqlite and postgres URLs are supported")
    if pooler != "none" and engine != "django.db.backends.postgresql":
        raise SettingsError("TELCOST_DB_POOLER", pooler, "a pooler stands only before PostgreSQL")
    return config
