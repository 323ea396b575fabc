#!/usr/bin/env python
"""Install the map's browser assets into ``static/vendor/`` from a package registry.

The dashboard never loads JavaScript, CSS or map data from a CDN: Streamlit serves these
files itself (``server.enableStaticServing``) and the standalone HTML export inlines them.
They are third-party files, so they are installed here at setup time and not committed
(``static/vendor/`` is ignored by git).

- **Leaflet 1.9.4** (``static/vendor/leaflet``), tried in order, both giving byte-identical files:
  1. the npm registry, ``npm pack leaflet@1.9.4`` (Leaflet's own release);
  2. PyPI, ``pip download --no-deps django-js-lib-leaflet==1.9.4.1``, a wheel that ships
     Leaflet 1.9.4's ``dist`` files unchanged, for machines without npm.
- **world-atlas 2.0.2** (``static/vendor/world-atlas``): Natural Earth's 1:50m countries as
  TopoJSON (public domain), from ``npm pack world-atlas@2.0.2``. The map draws the
  neighbouring countries from it for orientation; without npm the map works without them.

Every file is checked against the SHA-256 pinned in ``FILES`` and ``WORLD_FILES``; a file that does not match
is never installed. The script is idempotent: when every file is already in place and
verified it does nothing.

The Arabic interface's font, Noto Naskh Arabic (SIL Open Font Licence 1.1), is
installed the same way into ``static/fonts/`` from the npm registry
(``npm pack @fontsource/noto-naskh-arabic@5.3.0``), pinned in ``FONT_FILES``:
WOFF2 for the browser, and WOFF (zlib, read by fontTools without Brotli) for the
district brief's PDF and the map picture. Without npm the dashboard still works
and Arabic text uses the browser's own Arabic font; the script says so and goes on.

The brief and the map picture write Latin text with **DejaVu Sans 2.37**
(``npm pack dejavu-fonts-ttf@2.37.3``; free licence, ``DejaVu-LICENSE``), pinned
in ``DEJAVU_FILES``: whole TrueType files with every Latin letter and the
typographic spaces French numbers use (U+202F, U+00A0), which the web subsets
of Noto Sans lack. Without them ``geo brief`` and the PNG say which file is
missing and that ``make assets`` installs it.

Usage::

    python scripts/fetch_assets.py [--dest static/vendor] [--fonts static/fonts] [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEST = ROOT / "static" / "vendor"
LEAFLET_VERSION = "1.9.4"
NPM_SPEC = f"leaflet@{LEAFLET_VERSION}"
PYPI_SPEC = "django-js-lib-leaflet==1.9.4.1"

# Path under ``<dest>/leaflet/`` -> SHA-256 of Leaflet 1.9.4's ``dist`` file.
FILES: dict[str, str] = {
    "leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
    "leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
    "images/layers.png": "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6",
    "images/layers-2x.png": "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf",
    "images/marker-icon.png": "574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437",
    "images/marker-icon-2x.png": "00179c4c1ee830d3a108412ae0d294f55776cfeb085c60129a39aa6fc4ae2528",
    "images/marker-shadow.png": "264f5c640339f042dd729062cfc04c17f8ea0f29882b538e3848ed8f10edb4da",
}
LICENSE_NAME = "LICENSE"  # Leaflet's BSD-2-Clause licence, installed beside the files
WORLD_VERSION = "2.0.2"
WORLD_SPEC = f"world-atlas@{WORLD_VERSION}"
# Path under ``<dest>/world-atlas/`` -> SHA-256 of world-atlas 2.0.2's file.
WORLD_FILES: dict[str, str] = {
    "countries-50m.json": "04342cdc1e3016bcd7db1630de95684d67b79fe3c8c460321e87aef469502394",
    "LICENSE": "8048290dfdb6e83fbed17e8985c8cfc4ce9da9b842642f3d3e497280790cfa31",
}

CLUSTER_VERSION = "8.0.1"
CLUSTER_SPEC = f"supercluster@{CLUSTER_VERSION}"
# Path under ``<dest>/supercluster/`` -> SHA-256 of supercluster 8.0.1's file (``dist/supercluster.min.js``,
# its browser build with kdbush inside, and the ISC licence).
CLUSTER_FILES: dict[str, str] = {
    "supercluster.min.js": "5981fb396427d9050ae430a350d3e6175b33acd6bb1523713fa457b5ca3411d4",
    "LICENSE": "b8878372a0d7d1c303f48659ddbd6881807cd2196e4af2f548d8da0c0f7c4d71",
}

DEFAULT_FONTS = ROOT / "static" / "fonts"
FONT_VERSION = "5.3.0"
FONT_SPEC = f"@fontsource/noto-naskh-arabic@{FONT_VERSION}"
# Path under ``<fonts>/`` -> SHA-256 of the file in the npm release (``package/files/...``).
FONT_FILES: dict[str, str] = {
    "noto-naskh-arabic-arabic-400-normal.woff2": "9cc2d2e90f7b51904468558b4ed529de8a8206497c8edb5e33122bd077e0158c",
    "noto-naskh-arabic-arabic-700-normal.woff2": "d2d8e6b155248d6706e2e9c6019e88d435873801efe3d5a3ed6f0ab69aa1511e",
    "noto-naskh-arabic-arabic-400-normal.woff": "3f3d49ef3202e3fe1ce4501bb194b9480b937fe4375da826b816b1dab0650ce2",
    "noto-naskh-arabic-arabic-700-normal.woff": "a7e5b5c77c88d46f629547b5320392cce5b5a728337c53e90d80d831790fa0fd",
}
FONT_LICENSE_SHA256 = "91053c23e8a0fe5fc9b5fdbe5ff74ceffd66f6f996c123f1a6ca4c23487c1fff"  # SIL OFL 1.1
DEJAVU_VERSION = "2.37.3"
DEJAVU_SPEC = f"dejavu-fonts-ttf@{DEJAVU_VERSION}"
# Path under ``<fonts>/`` -> (member of the npm release, SHA-256).
DEJAVU_FILES: dict[str, tuple[str, str]] = {
    "DejaVuSans.ttf": ("package/ttf/DejaVuSans.ttf",
                       "7da195a74c55bef988d0d48f9508bd5d849425c1770dba5d7bfc6ce9ed848954"),
    "DejaVuSans-Bold.ttf": ("package/ttf/DejaVuSans-Bold.ttf",
                            "e6476c1b80502924294eed40894c5b18e06c181444ca953e5334262df9c27724"),
    "DejaVu-LICENSE": ("package/LICENSE", "7a083b136e64d064794c3419751e5c7dd10d2f64c108fe5ba161eae5e5958a93"),
}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def missing_files(dest: Path = DEFAULT_DEST) -> list[str]:
    """Names of the Leaflet files that are absent or differ from the pinned release.

    Parameters
    ----------
    dest : Path
        The vendor folder (``static/vendor``).

    Returns
    -------
    list of str
        Paths relative to ``dest / "leaflet"``; empty when everything is in place.
    """
    return _unverified(dest / "leaflet", FILES)


def _unverified(folder: Path, digests: dict[str, str]) -> list[str]:
    """Names in ``digests`` whose file in ``folder`` is absent or has another SHA-256."""
    return [name for name, digest in digests.items()
            if not (folder / name).is_file() or _sha256((folder / name).read_bytes()) != digest]


def missing_world(dest: Path = DEFAULT_DEST) -> list[str]:
    """Names of the world-atlas files that are absent or differ from the pinned release."""
    return _unverified(dest / "world-atlas", WORLD_FILES)


def fetch_world(dest: Path = DEFAULT_DEST, *, quiet: bool = False) -> Path | None:
    """Install world-atlas's countries into ``dest/world-atlas`` unless already there and verified.

    Returns the folder, or ``None`` (with a warning) when npm cannot provide the pinned files:
    the map then draws no neighbouring countries, everything else works.
    """
    return _fetch_npm_package(dest / "world-atlas", WORLD_SPEC, f"world-atlas-{WORLD_VERSION}.tgz",
                              {name: (f"package/{name}", digest) for name, digest in WORLD_FILES.items()},
                              quiet=quiet, without="the map will show no neighbouring countries")


def missing_cluster(dest: Path = DEFAULT_DEST) -> list[str]:
    """Names of the supercluster files that are absent or differ from the pinned release."""
    return _unverified(dest / "supercluster", CLUSTER_FILES)


def fetch_cluster(dest: Path = DEFAULT_DEST, *, quiet: bool = False) -> Path | None:
    """Install supercluster's browser build into ``dest/supercluster`` unless already there and verified.

    Returns the folder, or ``None`` (with a warning) when npm cannot provide the pinned files:
    the map then offers no point overlay, everything else works.
    """
    members = {"supercluster.min.js": "package/dist/supercluster.min.js", "LICENSE": "package/LICENSE"}
    return _fetch_npm_package(dest / "supercluster", CLUSTER_SPEC, f"supercluster-{CLUSTER_VERSION}.tgz",
                              {name: (members[name], digest) for name, digest in CLUSTER_FILES.items()},
                              quiet=quiet, without="the map will not draw the point layers' points")


def _fetch_npm_package(folder: Path, spec: str, tarball: str, files: dict[str, tuple[str, str]], *, quiet: bool,
                       without: str) -> Path | None:
    """Install pinned files of an npm release into ``folder`` (``files``: name -> (member, SHA-256))."""
    if not _unverified(folder, {name: digest for name, (_member, digest) in files.items()}):
        if not quiet:
            print(f"{spec} already installed and verified in {folder}")
        return folder
    npm = shutil.which("npm")
    try:
        if npm is None:
            raise RuntimeError("npm not found")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([npm, "pack", spec, "--pack-destination", tmp, "--silent"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
            with tarfile.open(Path(tmp) / tarball, "r:gz") as tar:
                data = {name: tar.extractfile(member).read() for name, (member, _d) in files.items()}
    except (RuntimeError, OSError, KeyError, AttributeError, tarfile.TarError, subprocess.SubprocessError) as exc:
        print(f"warning: {spec} not installed ({exc}); {without}", file=sys.stderr)
        return None
    wrong = [n for n, (_m, digest) in files.items() if _sha256(data[n]) != digest]
    if wrong:
        print(f"warning: {spec} checksum mismatch for {', '.join(wrong)}; not installed", file=sys.stderr)
        return None
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in data.items():
        (folder / name).write_bytes(content)
    print(f"{spec} installed from npm into {folder} ({len(files)} files verified)")
    return folder


def _from_npm(work: Path) -> dict[str, bytes]:
    """Leaflet's ``dist`` files (and licence) from the npm release tarball."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm not found")
    subprocess.run([npm, "pack", NPM_SPEC, "--pack-destination", str(work), "--silent"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    tarball = work / f"leaflet-{LEAFLET_VERSION}.tgz"
    out: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for name in [*FILES, LICENSE_NAME]:
            member = f"package/{LICENSE_NAME}" if name == LICENSE_NAME else f"package/dist/{name}"
            handle = tar.extractfile(member)
            if handle is not None:
                out[name] = handle.read()
    return out


def _from_pypi(work: Path) -> dict[str, bytes]:
    """Leaflet's ``dist`` files from the PyPI wheel that ships them unchanged."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "-d", str(work), PYPI_SPEC], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=300)
    wheel = next(work.glob("django_js_lib_leaflet-*.whl"))
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(wheel.read_bytes())) as zf:
        for name in FILES:
            out[name] = zf.read(f"js_lib_leaflet/static/js_lib_leaflet/{name}")
        licence = [n for n in zf.namelist() if n.endswith(".dist-info/LICENSE")]
        if licence:
            out[LICENSE_NAME] = zf.read(licence[0])
    return out


def fetch(dest: Path = DEFAULT_DEST, *, quiet: bool = False) -> Path:
    """Install Leaflet's files into ``dest/leaflet`` unless they are already there and verified.

    Parameters
    ----------
    dest : Path
        The vendor folder (``static/vendor``).
    quiet : bool
        Print nothing when the files are already in place.

    Returns
    -------
    Path
        The folder holding ``leaflet.js`` and ``leaflet.css``.

    Raises
    ------
    RuntimeError
        When no source could provide files matching the pinned checksums.
    """
    folder = dest / "leaflet"
    if not missing_files(dest):
        if not quiet:
            print(f"Leaflet {LEAFLET_VERSION} already installed and verified in {folder}")
        return folder
    errors = []
    for label, source in (("npm", _from_npm), ("PyPI", _from_pypi)):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                files = source(Path(tmp))
            except (RuntimeError, OSError, KeyError, StopIteration, tarfile.TarError, zipfile.BadZipFile,
                    subprocess.SubprocessError) as exc:
                detail = getattr(exc, "stderr", None) or b""
                errors.append(f"{label}: {exc} {detail.decode(errors='replace').strip()[-300:]}".strip())
                continue
        wrong = [n for n, digest in FILES.items() if _sha256(files.get(n, b"")) != digest]
        if wrong:
            errors.append(f"{label}: checksum mismatch for {', '.join(wrong)}")
            continue
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        print(f"Leaflet {LEAFLET_VERSION} installed from {label} into {folder} ({len(FILES)} files verified)")
        return folder
    raise RuntimeError("could not install Leaflet " + LEAFLET_VERSION + ": " + "; ".join(errors))


def missing_fonts(dest: Path = DEFAULT_FONTS) -> list[str]:
    """Names of the Arabic font files that are absent or differ from the pinned release."""
    return _unverified(dest, FONT_FILES)


def fetch_fonts(dest: Path = DEFAULT_FONTS, *, quiet: bool = False) -> Path | None:
    """Install Noto Naskh Arabic into ``dest`` from the npm release unless already verified there.

    Returns
    -------
    Path or None
        The font folder, or ``None`` when npm could not provide files matching the pinned
        checksums (the dashboard then uses the browser's Arabic font).
    """
    if not missing_fonts(dest):
        if not quiet:
            print(f"Noto Naskh Arabic {FONT_VERSION} already installed and verified in {dest}")
        return dest
    npm = shutil.which("npm")
    problem = "npm not found"
    if npm is not None:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                subprocess.run([npm, "pack", FONT_SPEC, "--pack-destination", tmp, "--silent"], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
                tarball = next(Path(tmp).glob("fontsource-noto-naskh-arabic-*.tgz"))
                files = {}
                with tarfile.open(tarball, "r:gz") as tar:
                    for name in [*FONT_FILES, "LICENSE"]:
                        member = "package/LICENSE" if name == "LICENSE" else f"package/files/{name}"
                        handle = tar.extractfile(member)
                        files[name] = handle.read() if handle is not None else b""
            except (OSError, KeyError, StopIteration, tarfile.TarError, subprocess.SubprocessError) as exc:
                problem = f"npm: {exc}"
            else:
                digests = {**FONT_FILES, "LICENSE": FONT_LICENSE_SHA256}
                wrong = [n for n, digest in digests.items() if _sha256(files[n]) != digest]
                if not wrong:
                    dest.mkdir(parents=True, exist_ok=True)
                    for name, data in files.items():
                        (dest / name).write_bytes(data)
                    print(f"Noto Naskh Arabic {FONT_VERSION} installed from npm into {dest} "
                          f"({len(FONT_FILES)} files verified)")
                    return dest
                problem = f"npm: checksum mismatch for {', '.join(wrong)}"
    print(f"warning: the Arabic font was not installed ({problem}); Arabic text uses the browser's font",
          file=sys.stderr)
    return None


def missing_dejavu(dest: Path = DEFAULT_FONTS) -> list[str]:
    """Names of the DejaVu Sans files that are absent or differ from the pinned release."""
    return _unverified(dest, {name: digest for name, (_member, digest) in DEJAVU_FILES.items()})


def fetch_dejavu(dest: Path = DEFAULT_FONTS, *, quiet: bool = False) -> Path | None:
    """Install DejaVu Sans (the brief's and the map picture's Latin font) into ``dest`` from npm.

    Returns
    -------
    Path or None
        The font folder, or ``None`` (with a warning) when npm cannot provide the pinned files:
        the dashboard works, ``geo brief`` and the map picture then say what to install.
    """
    if not missing_dejavu(dest):
        if not quiet:
            print(f"DejaVu Sans {DEJAVU_VERSION} already installed and verified in {dest}")
        return dest
    npm = shutil.which("npm")
    try:
        if npm is None:
            raise RuntimeError("npm not found")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([npm, "pack", DEJAVU_SPEC, "--pack-destination", tmp, "--silent"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
            with tarfile.open(Path(tmp) / f"dejavu-fonts-ttf-{DEJAVU_VERSION}.tgz", "r:gz") as tar:
                files = {name: tar.extractfile(member).read() for name, (member, _d) in DEJAVU_FILES.items()}
    except (RuntimeError, OSError, KeyError, AttributeError, tarfile.TarError, subprocess.SubprocessError) as exc:
        print(f"warning: DejaVu Sans {DEJAVU_VERSION} not installed ({exc}); district briefs (PDF) and the map "
              "picture (PNG) need it", file=sys.stderr)
        return None
    wrong = [name for name, (_m, digest) in DEJAVU_FILES.items() if _sha256(files[name]) != digest]
    if wrong:
        print(f"warning: DejaVu Sans checksum mismatch for {', '.join(wrong)}; not installed", file=sys.stderr)
        return None
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (dest / name).write_bytes(data)
    print(f"DejaVu Sans {DEJAVU_VERSION} installed from npm into {dest} ({len(DEJAVU_FILES)} files verified)")
    return dest


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="vendor folder (default: static/vendor)")
    parser.add_argument("--fonts", type=Path, default=DEFAULT_FONTS, help="font folder (default: static/fonts)")
    parser.add_argument("--check", action="store_true", help="only verify the installed files")
    parser.add_argument("--quiet", action="store_true", help="say nothing when already installed")
    args = parser.parse_args(argv)
    if args.check:
        bad = missing_files(args.dest)
        if bad:
            print(f"missing or modified in {args.dest / 'leaflet'}: {', '.join(bad)}; run `make assets`",
                  file=sys.stderr)
            return 1
        print(f"Leaflet {LEAFLET_VERSION} verified in {args.dest / 'leaflet'}")
        world = missing_world(args.dest)
        if world:
            print(f"world-atlas missing or modified in {args.dest / 'world-atlas'}: {', '.join(world)} "
                  "(the map draws no neighbouring countries); run `make assets`", file=sys.stderr)
        fonts = missing_fonts(args.fonts) + missing_dejavu(args.fonts)
        if fonts:
            print(f"fonts missing or modified in {args.fonts}: {', '.join(fonts)} (needed by the Arabic "
                  "interface, the district briefs and the map picture); run `make assets`", file=sys.stderr)
        cluster = missing_cluster(args.dest)
        if cluster:
            print(f"supercluster missing or modified in {args.dest / 'supercluster'}: {', '.join(cluster)} "
                  "(the map draws no point layers' points); run `make assets`", file=sys.stderr)
        return 0
    try:
        fetch(args.dest, quiet=args.quiet)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fetch_world(args.dest, quiet=args.quiet)
    fetch_cluster(args.dest, quiet=args.quiet)
    fetch_fonts(args.fonts, quiet=args.quiet)
    fetch_dejavu(args.fonts, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
