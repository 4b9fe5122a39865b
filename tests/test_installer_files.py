"""The installer files (installer/): the PyInstaller spec ships every resource and migration, the Inno Setup
script installs the right program and keeps the user's data, the Linux desktop entry is valid.

The bundle build itself is `make bundle` (minutes, not part of the test run).
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import booking_app

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "installer" / "fukufuku-desk.spec"
ISS = ROOT / "installer" / "fukufuku-desk.iss"
DESKTOP = ROOT / "installer" / "linux" / "fukufuku-desk.desktop"


class _Recorder:
    """Stands in for PyInstaller's Analysis/PYZ/EXE/COLLECT: keeps the arguments it was given."""

    calls: dict[str, list] = {}

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.pure, self.scripts = [], []
        self.binaries = list(kwargs.get("binaries", []))
        self.datas = list(kwargs.get("datas", []))
        _Recorder.calls.setdefault(type(self).__name__, []).append(self)


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    """Run the spec as PyInstaller would, with stand-ins, and return its namespace."""
    _Recorder.calls = {}
    classes = {name: type(name, (_Recorder,), {}) for name in ("Analysis", "PYZ", "EXE", "COLLECT")}
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda package, **kw: [f"{package}.stub"]
    hooks.collect_data_files = lambda package, **kw: [("/x/holidays/locale/ja/LC_MESSAGES/JP.mo",
                                                        "holidays/locale/ja/LC_MESSAGES")]
    hooks.copy_metadata = lambda dist, **kw: [(f"/x/{dist}.dist-info", f"{dist}.dist-info")]
    saved = {k: sys.modules.get(k) for k in ("PyInstaller", "PyInstaller.utils", "PyInstaller.utils.hooks")}
    sys.modules.update({"PyInstaller": types.ModuleType("PyInstaller"),
                        "PyInstaller.utils": types.ModuleType("PyInstaller.utils"),
                        "PyInstaller.utils.hooks": hooks})
    namespace = {"SPECPATH": str(SPEC.parent), "__file__": str(SPEC), "__name__": "__spec__", **classes}
    saved_path = list(sys.path)
    try:
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    finally:
        sys.path[:] = saved_path
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    namespace["_calls"] = _Recorder.calls
    return namespace


def _shipped_files(top: str) -> list[Path]:
    return [p for p in sorted((ROOT / top).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".ts")]


@pytest.mark.parametrize("top", ["resources", "db"])
def test_spec_datas_cover_every_resource_and_migration(spec, top):
    analysis = spec["_calls"]["Analysis"][0]
    datas = {(Path(src).resolve(), dest.replace("\\", "/")) for src, dest in analysis.kwargs["datas"]}
    files = _shipped_files(top)
    assert files, top
    for path in files:
        # Same relative folder inside the bundle as in the tree: the code finds it through sys._MEIPASS.
        assert (path.resolve(), str(path.relative_to(ROOT).parent)) in datas, f"{path} is not in the bundle"


def test_spec_ships_the_things_found_by_path(spec):
    dests = {dest.replace("\\", "/") for _src, dest in spec["_calls"]["Analysis"][0].kwargs["datas"]}
    for folder in ("resources/fonts", "resources/icons", "resources/licenses", "db", "db/versions"):
        assert folder in dests
    assert any(d.startswith("holidays/locale/") for d in dests)  # Japan's holiday names (gettext)
    assert "SQLAlchemy.dist-info" in dests and "PySide6_Essentials.dist-info" in dests  # About dialog
    assert not any(d.endswith("__pycache__") for d in dests)


def test_spec_hidden_imports_and_excludes(spec):
    kwargs = spec["_calls"]["Analysis"][0].kwargs
    hidden = set(kwargs["hiddenimports"])
    assert "booking_app.stub" in hidden  # collect_submodules("booking_app"): lazily imported pages
    for name in ("sqlalchemy.dialects.postgresql.psycopg", "sqlalchemy.dialects.sqlite.pysqlite",
                 "psycopg_binary", "alembic.op", "holidays.countries.japan", "PySide6.QtPdf", "PySide6.QtCharts"):
        assert name in hidden
    assert {"tkinter", "pytest", "hypothesis"} <= set(kwargs["excludes"])
    entry_script = Path(spec["_calls"]["Analysis"][0].args[0][0])
    assert entry_script.is_file() and "booking_app.cli import main" in entry_script.read_text(encoding="utf-8")


def test_spec_builds_one_folder_app_named_fukufukudesk(spec):
    exe = spec["_calls"]["EXE"][0]
    assert exe.kwargs["name"] == "FukufukuDesk"
    assert exe.kwargs["exclude_binaries"] is True  # one folder, not one file
    assert exe.kwargs["console"] is (sys.platform != "win32")  # windowed on Windows
    assert spec["_calls"]["COLLECT"][0].kwargs["name"] == "FukufukuDesk"


def test_spec_drops_only_unused_qt_pieces(spec):
    drop = spec["_not_needed"]
    assert drop("PySide6/Qt/lib/libQt6Quick.so.6")
    assert drop("PySide6/Qt/translations/qtbase_de.qm")
    assert not drop("PySide6/Qt/translations/qtbase_ja.qm")
    for kept in ("PySide6/Qt/lib/libQt6Pdf.so.6", "PySide6/Qt/lib/libQt6Charts.so.6",
                 "PySide6/Qt/plugins/platforms/libqxcb.so", "resources/translations/booking_app_en.qm"):
        assert not drop(kept), kept


def _iss() -> str:
    raw = ISS.read_bytes()
    # Inno Setup reads a script without a BOM in the system code page: the Japanese would be garbled.
    assert raw.startswith(b"\xef\xbb\xbf"), "the .iss must be UTF-8 with a BOM"
    return raw.decode("utf-8-sig")


def _iss_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            continue
        m = re.fullmatch(r"\[(\w+)\]", stripped)
        if m:
            current = m.group(1)
            sections.setdefault(current, [])
        elif current:
            sections[current].append(stripped)
    return sections


def test_iss_installs_the_bundle_and_start_menu_entry():
    text = _iss()
    sections = _iss_sections(text)
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["DefaultDirName"] == r"{autopf}\FukufukuDesk"
    assert '#define AppExeName "FukufukuDesk.exe"' in text
    assert '#define AppName "ふくふくデスク"' in text
    # The default version is the package's (the build passes /DAppVersion= from the same place).
    assert f'#define AppVersion "{booking_app.__version__}"' in text
    assert any(r'"..\dist\FukufukuDesk"' in line for line in text.splitlines() if "SourceDir" in line)
    assert any(line.startswith('Source: "{#SourceDir}\\*"') and "recursesubdirs" in line for line in sections["Files"])
    icons = sections["Icons"]
    assert any(line.startswith('Name: "{group}\\{#AppName}"') and "{#AppExeName}" in line for line in icons)
    assert any("{autodesktop}" in line and "Tasks: desktopicon" in line for line in icons)
    assert 'MessagesFile: "compiler:Languages\\Japanese.isl"' in sections["Languages"][0]
    for rel in ("..\\resources\\icons\\fukufuku-desk.ico", "..\\resources\\fonts\\IPA_Font_License_Agreement_v1.0.txt"):
        assert rel in text
        assert (ISS.parent / rel.replace("\\", "/")).is_file()


def test_iss_uninstall_keeps_user_data():
    text = _iss()
    sections = _iss_sections(text)
    assert "UninstallDelete" not in sections  # nothing beyond the installed files is removed
    assert not any("uninsdelete" in line.lower() for line in text.splitlines() if not line.lstrip().startswith(";"))
    assert "fukufuku-desk" in text and "{localappdata}\\fukufuku-desk" in text
    assert "削除されずに残ります" in text  # the message shown at uninstall, in Japanese
    assert "InitializeUninstall" in text


def test_desktop_entry_is_valid():
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Fukufuku Desk"
    assert entry["Name[ja]"] == "ふくふくデスク"
    assert entry["Exec"].endswith("/FukufukuDesk")
    assert entry["Icon"] == "fukufuku-desk"
    assert "Office" in entry["Categories"].rstrip(";").split(";")
    assert entry["Categories"].endswith(";")
    assert entry["Terminal"] == "false"


def test_icons_exist_in_every_form():
    icons = ROOT / "resources" / "icons"
    png = (icons / "fukufuku-desk.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (256, 256)
    ico = (icons / "fukufuku-desk.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00"
    count = int.from_bytes(ico[4:6], "little")
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    assert "<svg" in (icons / "fukufuku-desk.svg").read_text(encoding="utf-8")


def test_version_has_one_source():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = {attr = "booking_app.__version__"}' in pyproject
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M)  # no second copy of the number


def test_version_option_prints_the_package_version(capsys):
    from booking_app.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"ふくふくデスク {booking_app.__version__}"
