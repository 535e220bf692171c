"""Read the project's .po catalogues and the strings its templates ask to translate (for tests)."""

import ast
import re
from pathlib import Path

from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "telcost" / "locale"

_FIELD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) "(.*)"$')


def _unescape(quoted: str) -> str:
    return ast.literal_eval(f'"{quoted}"')


def read_po(path: Path) -> dict:
    """{msgid: msgstr} and {(msgid, n): msgstr[n]} for plurals, as gettext's catalogue keys them
    (a msgctxt goes before the msgid, joined by EOT: "zone\x04National").

    Obsolete (#~) entries are left out; fuzzy entries are reported under the key "__fuzzy__".
    """
    catalogue: dict = {"__fuzzy__": []}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [ln for ln in block.strip().splitlines() if not ln.startswith("#~")]
        fuzzy = any(ln.startswith("#,") and "fuzzy" in ln for ln in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            match = _FIELD.match(line)
            if match:
                current = match.group(1)
                fields[current] = _unescape(match.group(3))
            elif line.startswith('"') and current:
                fields[current] += _unescape(line[1:-1])
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        msgid = fields["msgid"]
        if "msgctxt" in fields:
            msgid = f"{fields['msgctxt']}\x04{msgid}"
        if fuzzy:
            catalogue["__fuzzy__"].append(msgid)
        if "msgid_plural" in fields:
            for key, value in fields.items():
                if key.startswith("msgstr["):
                    catalogue[(msgid, int(key[7:-1]))] = value
        else:
            catalogue[msgid] = fields.get("msgstr", "")
    return catalogue


_GETTEXT = re.compile(r"\b(n?gettext)\(u('(?:[^'\\]|\\.)*')")


def template_msgids() -> dict[str, list[str]]:
    """{msgid: [template paths]} of every {% translate %} / {% blocktranslate %} in telcost's
    templates."""
    found: dict[str, list[str]] = {}
    for template in sorted((ROOT / "telcost").glob("**/templates/**/*.html")):
        code = templatize(template.read_text(encoding="utf-8"), origin=str(template))
        for _func, literal in _GETTEXT.findall(code):
            found.setdefault(ast.literal_eval(literal), []).append(str(template.relative_to(ROOT)))
    return found


_GETTEXT_FUNCTIONS = {
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "_",
    "pgettext",
    "pgettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
# The folders makemessages leaves out (telcost/locale/README.md): nothing there is shown to a user.
_NOT_TRANSLATED = ("simulators", "demo", "testing", "locale")


def python_msgids() -> dict[str, list[str]]:
    """{msgid: [files]} of every literal string telcost's Python code marks for translation.

    A pgettext's msgid is keyed as the catalogue keys it ("context\\x04message"); a plural by its
    singular.
    """
    found: dict[str, list[str]] = {}
    for source in sorted((ROOT / "telcost").glob("**/*.py")):
        if source.relative_to(ROOT / "telcost").parts[0] in _NOT_TRANSLATED:
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = (
                node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            )
            if name not in _GETTEXT_FUNCTIONS or not node.args:
                continue
            texts = [
                a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                for a in node.args
            ]
            if name.startswith(("pgettext", "npgettext")):
                if len(texts) < 2 or None in texts[:2]:
                    continue
                msgid = f"{texts[0]}\x04{texts[1]}"
            elif texts[0] is None:
                continue
            else:
                msgid = texts[0]
            found.setdefault(msgid, []).append(str(source.relative_to(ROOT)))
    return found
