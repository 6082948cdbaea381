"""Catalogue chores: extract, update, compile (all five languages, Romani included).

    python scripts/i18n.py extract   # code -> locales/messages.pot
    python scripts/i18n.py update    # messages.pot -> each messages.po (new strings empty)
    python scripts/i18n.py compile   # each messages.po -> messages.mo (run at install)

`pybabel init/update` refuse Romani because CLDR has no `rom` locale, so this
script drives Babel's catalogue API directly and gives Romani its own plural
rule.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
TEMPLATE = LOCALES / "messages.pot"
LANGUAGES = ("ro", "ru", "uk", "en", "rom")
# Romani (Vlax varieties): one form for 1, another for every other number.
ROMANI_PLURALS = "nplurals=2; plural=(n != 1);"


def po_path(lang: str) -> Path:
    """Where a language's catalogue lives."""
    return LOCALES / lang / "LC_MESSAGES" / "messages.po"


def extract() -> None:
    """Collect every `_()` and `n_()` string of the code into the template."""
    subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
         "-k", "_", "-k", "n_:1,2", "--no-default-keywords", "--sort-by-file", "--no-location",
         "--project", "safemig", "--copyright-holder", "safemig contributors",
         "-o", str(TEMPLATE), str(ROOT)],
        check=True,
    )


def update() -> None:
    """Bring every catalogue in line with the template, keeping translations."""
    with TEMPLATE.open("rb") as fh:
        template = read_po(fh)
    for lang in LANGUAGES:
        path = po_path(lang)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=None if lang == "rom" else lang)
        else:
            catalog = Catalog(locale=lang, domain="messages", project="safemig",
                              copyright_holder="safemig contributors")
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        if lang == "rom":
            catalog.language_team = "Romani"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True)
        if lang == "rom":
            _set_plural_header(path)


def _set_plural_header(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith('"Plural-Forms:')]
    out = []
    for line in lines:
        out.append(line)
        if line.startswith('"Language:'):
            out.append(f'"Plural-Forms: {ROMANI_PLURALS}\\n"')
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def compile_all() -> None:
    """Write each messages.mo next to its messages.po (fuzzy entries left out)."""
    for lang in LANGUAGES:
        path = po_path(lang)
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=None if lang == "rom" else lang)
        with path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


def main(argv: list[str]) -> int:
    """Run the chores named on the command line, in order."""
    actions = {"extract": extract, "update": update, "compile": compile_all}
    if not argv or any(a not in actions for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    for action in argv:
        actions[action]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
