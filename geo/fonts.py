"""The font files the district brief (PDF) and the map picture (PNG) write their text with.

Both are installed at setup by ``make assets`` (``scripts/fetch_assets.py``, from the
npm registry, pinned by SHA-256) into ``static/fonts/``, never fetched at run time:

- **DejaVu Sans** for Latin text: every Latin letter and the narrow no-break space
  (U+202F) that French numbers use (``36 828 330``);
- **Noto Naskh Arabic** for Arabic text (district names ``name_ar``, the Arabic brief).

:func:`font_files` returns their paths, or raises :class:`MissingFontError` naming the
missing file and the command that installs it.
"""

from __future__ import annotations

from pathlib import Path

from geo.errors import TargetingError
from geo.i18n import _, ngettext

__all__ = ["FONT_DIR", "FONTS", "MissingFontError", "font_files", "strip_isolates"]

FONT_DIR = Path(__file__).resolve().parents[1] / "static" / "fonts"

#: Role -> file name under :data:`FONT_DIR`.
FONTS: dict[str, str] = {
    "latin": "DejaVuSans.ttf",
    "latin_bold": "DejaVuSans-Bold.ttf",
    "arabic": "noto-naskh-arabic-arabic-400-normal.woff",
    "arabic_bold": "noto-naskh-arabic-arabic-700-normal.woff",
}

# Unicode bidirectional isolates (LRI, RLI, FSI, PDI): the names carry them for the browser.
_ISOLATES = dict.fromkeys(range(0x2066, 0x206A))


class MissingFontError(TargetingError):
    """A font file the brief or the map picture needs is not installed."""


def font_files(folder: Path | None = None) -> dict[str, Path]:
    """Paths of the fonts of :data:`FONTS`, checked to be there.

    Parameters
    ----------
    folder : Path, optional
        Where the fonts are (default :data:`FONT_DIR`, ``static/fonts``).

    Returns
    -------
    dict of str to Path
        Role (``latin``, ``latin_bold``, ``arabic``, ``arabic_bold``) -> file.

    Raises
    ------
    MissingFontError
        Naming the first missing file and ``make assets``, which installs it.
    """
    folder = FONT_DIR if folder is None else Path(folder)
    paths = {role: folder / name for role, name in FONTS.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        more = ngettext(" (and {n} more)", " (and {n} more)", len(missing) - 1).format(n=len(missing) - 1) \
            if len(missing) > 1 else ""
        raise MissingFontError(
            _("the font file {file} is missing{more}: run `make assets` (python scripts/fetch_assets.py), which "
              "installs DejaVu Sans and Noto Naskh Arabic from the npm registry into static/fonts/.").format(
                file=missing[0], more=more))
    return paths


def strip_isolates(text: object) -> str:
    """``text`` without bidirectional isolate marks (the PDF lays out each run itself).

    Examples
    --------
    >>> strip_isolates("\\u2068Figuig\\u2069 · \\u2068فجيج\\u2069")
    'Figuig · فجيج'
    """
    return str(text).translate(_ISOLATES)
