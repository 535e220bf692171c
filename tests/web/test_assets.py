"""The pages work offline: htmx and the stylesheet are vendored and nothing loads from another
host."""

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "telcost" / "web" / "static" / "web"


def test_vendored_htmx_is_the_pinned_release():
    readme = (STATIC / "README.md").read_text()
    version = re.search(r"htmx \*\*(\d+\.\d+\.\d+)\*\*", readme).group(1)
    checksum = re.search(r"sha256 `([0-9a-f]{64})`", readme).group(1)
    script = (STATIC / "htmx.min.js").read_bytes()
    assert hashlib.sha256(script).hexdigest() == checksum
    assert f'version:"{version}"'.encode() in script


def test_no_page_loads_scripts_styles_or_fonts_from_another_host():
    external = re.compile(
        r"""(?:src|href)\s*=\s*["'](?:https?:)?//|@import\s+url\(\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""",
        re.I,
    )
    offenders = []
    for path in list((ROOT / "telcost").glob("**/templates/**/*.html")) + list(
        (ROOT / "telcost").glob("**/static/**/*.css")
    ):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if external.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not offenders, offenders


@pytest.mark.django_db
def test_the_shell_references_only_local_assets_that_are_served(client, viewer):
    client.force_login(viewer)
    body = client.get("/overview/").content.decode()
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/[^"]+)"', body)
    assert "/static/web/htmx.min.js" in assets and "/static/web/telcost.css" in assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset


def test_vendored_chartjs_is_the_pinned_release_with_its_licence():
    readme = (STATIC / "README.md").read_text()
    version = re.search(r"Chart\.js \*\*(\d+\.\d+\.\d+)\*\*", readme).group(1)
    checksum = re.search(r"chart\.js sha256 `([0-9a-f]{64})`", readme).group(1)
    script = (STATIC / "vendor" / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(script).hexdigest() == checksum
    assert f"Chart.js v{version}".encode() in script[:200]
    assert "MIT License" in (STATIC / "vendor" / "chart.js.LICENSE.md").read_text()
