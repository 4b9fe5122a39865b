"""The command line, run in-process: ``cli.main([...])`` on temporary SQLite databases; no window opens."""

from __future__ import annotations

import sys
import types
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

import booking_app
from booking_app import cli, config
from booking_app.domain.errors import ValidationError
from booking_app.store.engine import make_engine, read_session
from booking_app.store.migrate import head_revision
from booking_app.store.models import AuditEntry, Booking, MemberGroup
from tests.cli_login import signed_in

DATA = Path(__file__).resolve().parent / "data"
LEDGER = DATA / "予約台帳_2026年4-6月.xlsx"


def count(url: str, model) -> int:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            return s.scalar(select(func.count()).select_from(model))
    finally:
        engine.dispose()


@pytest.fixture
def url(tmp_path) -> str:
    """A database file that does not exist yet: only ``db upgrade`` and ``seed-demo`` may create it."""
    return f"sqlite:///{(tmp_path / 'cli.sqlite3').as_posix()}"


@pytest.fixture
def made(url, capsys, monkeypatch) -> str:
    """``url`` after ``db upgrade`` made it: the database every other command needs; the commands sign in
    as センター長 (a command token in FUKUFUKU_DESK_TOKEN, tests/cli_login.py)."""
    assert cli.main(["--db", url, "db", "upgrade"]) == 0
    capsys.readouterr()
    signed_in(monkeypatch, url, "センター長")
    return url


def test_db_upgrade_creates_and_reports_the_revision(url, capsys):
    assert cli.main(["--db", url, "db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "最新の形に更新しました" in out and head_revision() in out
    # Options may follow the command too, and running it again is harmless.
    assert cli.main(["db", "upgrade", "--db", url]) == 0


@pytest.mark.timeout(300)  # a whole demo year (~6,000 bookings); a loaded 2-core machine takes ~40 s
def test_seed_demo_then_refuses_to_seed_a_database_with_bookings(url, capsys):
    assert cli.main(["--db", url, "seed-demo", "--today", "2026-11-25"]) == 0
    out = capsys.readouterr().out
    assert "デモデータを作成しました" in out and "2026-04-01〜2027-02-28" in out
    bookings = count(url, Booking)
    assert bookings > 6000 and count(url, MemberGroup) == 300

    # Demo data only: a second seed needs --force (a database in use is refused even with it:
    # tests/test_cli_signin.py).
    assert cli.main(["--db", url, "seed-demo", "--today", "2026-11-25"]) == 1
    err = capsys.readouterr().err
    assert "既にデモデータがあります" in err and "予約" in err and "--force" in err and "Traceback" not in err
    assert count(url, Booking) == bookings


def test_import_dry_run_prints_the_report_and_writes_nothing(made, url, tmp_path, capsys):
    import openpyxl

    clean = tmp_path / "clean.xlsx"
    wb = openpyxl.load_workbook(LEDGER)
    for row in (272, 241, 119, 45, 12, 11):  # the rows the centre's defaults make impossible
        wb.active.delete_rows(row)
    wb.save(clean)
    wb.close()

    assert cli.main(["--db", url, "import-bookings", str(clean), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "取込予定：予約368件（うち取消1件）" in out and "書き込んでいません" in out
    assert count(url, Booking) == 0 and count(url, MemberGroup) == 0

    assert cli.main(["--db", url, "import-bookings", str(clean)]) == 0
    out = capsys.readouterr().out
    assert "取込：予約368件" in out and "センター長" in out
    assert count(url, Booking) == 368


def test_a_ledger_with_errors_exits_1_with_japanese_on_stderr(made, url, capsys):
    assert cli.main(["--db", url, "import-bookings", str(LEDGER), "--dry-run"]) == 1
    captured = capsys.readouterr()
    assert "何も取り込んでいません" in captured.err
    assert "11行目［備品］" in captured.err and "12行目［予定人数］" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert count(url, Booking) == 0


@pytest.mark.parametrize("signed_as, args, expected", [
    (None, ["import-bookings", "missing.csv"], "見つかりません"),
    ("受付スタッフ", ["import-bookings", str(LEDGER)], "管理者のみ"),
    (None, ["import-bookings", str(LEDGER), "--staff", "知らない人"], "登録されていません"),
], ids=["missing-file", "desk-staff", "unknown-staff"])
def test_errors_are_one_japanese_message_and_exit_1(made, url, capsys, monkeypatch, signed_as, args, expected):
    if signed_as:
        signed_in(monkeypatch, url, signed_as)
    assert cli.main(["--db", url, *args]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path, capsys):
    missing_dir = tmp_path / "no" / "such" / "folder" / "x.sqlite3"
    assert cli.main(["--db", str(missing_dir), "db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert "データベースまたはファイルを開けませんでした" in err and "Traceback" not in err


def test_resolve_db_url_order_and_labels(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    monkeypatch.delenv(config.ENV_DB_URL, raising=False)
    url, label = config.resolve_db_url(None)
    assert (tmp_path / "data").is_dir()  # the default folder is created
    assert url == f"sqlite:///{(tmp_path / 'data' / 'booking.sqlite3').as_posix()}"
    assert label == f"SQLite: {(tmp_path / 'data' / 'booking.sqlite3').as_posix()}"

    monkeypatch.setenv(config.ENV_DB_URL, "postgresql://desk:s3cret@db.example:5433/fukufuku")
    url, label = config.resolve_db_url(None)
    assert url == "postgresql+psycopg://desk:s3cret@db.example:5433/fukufuku"
    assert label == "PostgreSQL: db.example:5433/fukufuku" and "s3cret" not in label

    url, label = config.resolve_db_url(str(tmp_path / "own.sqlite3"))  # --db wins, a bare path is SQLite
    assert url.startswith("sqlite:///") and url.endswith("/own.sqlite3") and label.startswith("SQLite: ")
    with pytest.raises(ValidationError):
        config.resolve_db_url("mysql://x/y")


class _FakeApp(types.ModuleType):
    """Stands in for booking_app.app so that no window opens; records what the CLI asked for."""

    def __init__(self) -> None:
        super().__init__("booking_app.app")
        self.calls: list[tuple[str, dict]] = []

    def run(self, url: str, **kw) -> int:
        from booking_app import clock

        self.calls.append((url, kw, count(url, Booking)))
        self.clock_at_run = clock.now()  # what --today / --now set the app's one clock to
        return 0


@pytest.fixture
def fake_app(monkeypatch) -> _FakeApp:
    fake = _FakeApp()
    monkeypatch.setitem(sys.modules, "booking_app.app", fake)
    monkeypatch.setattr(booking_app, "app", fake, raising=False)
    return fake


def test_no_command_opens_the_app_on_the_resolved_database(url, fake_app, tmp_path):
    shot = tmp_path / "s.png"
    assert cli.main(["--db", url, "--screenshot", str(shot), "--today", "2027-03-31"]) == 0
    (called_url, kw, bookings), = fake_app.calls
    assert called_url == url and kw["db_label"].startswith("SQLite: ")
    assert kw["demo"] is False and kw["screenshot"] == str(shot)
    # --today runs the app as of that day: the one clock starts there at 10:00 and ticks on.
    assert fake_app.clock_at_run.date() == date(2027, 3, 31) and fake_app.clock_at_run.hour == 10
    assert count(url, AuditEntry) == 0 and bookings == 0  # migrated and initialised, nothing else


def test_demo_uses_a_throwaway_database_and_refuses_one_in_use(made, url, fake_app, capsys, tmp_path):
    assert cli.main(["--demo"]) == 0
    (demo_url, kw, _), = fake_app.calls
    assert kw["demo"] is True and "デモ" in kw["db_label"]
    assert not Path(demo_url.removeprefix("sqlite:///")).exists()  # gone once the app has closed

    ledger = tmp_path / "one.csv"
    ledger.write_text("利用日,部屋,区分,団体名,目的\n2026/12/02,大会議室,午前,市民講座の会,講座\n", encoding="utf-8")
    assert cli.main(["--db", url, "import-bookings", str(ledger)]) == 0
    assert cli.main(["--db", url, "--demo"]) == 1
    assert "デモデータは入れられません" in capsys.readouterr().err
    assert len(fake_app.calls) == 1


# --------------------------------------------------------------------------- a database that is not there (issue 13)


@pytest.mark.parametrize("command", [
    ["import-bookings", str(LEDGER), "--dry-run"],
    ["import-groups", "x.csv", "--dry-run"],
    ["export-groups", "groups.csv"],
    ["print-slips", "--date", "2026-11-26", "-o", "slips.pdf"],
    ["export-insurance", "--fiscal-year", "2026", "-o", "ins.csv"],
    ["export-stats", "--fiscal-year", "2026", "-o", "stats.csv"],
], ids=lambda c: c[0])
def test_a_mistyped_database_is_refused_and_nothing_is_created(tmp_path, capsys, command):
    # A typo in --db once made a new, empty database: export-stats wrote 0人 for the city and exited 0.
    missing = tmp_path / "no-such-folder" / "centre.sqlite3"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = [a if not a.endswith((".csv", ".pdf")) or a == str(LEDGER) else str(out_dir / a) for a in command]
    assert cli.main(["--db", f"sqlite:///{missing.as_posix()}", *args]) == 1
    err = capsys.readouterr().err
    assert "データベースが見つかりません" in err and str(missing) in err and "db upgrade" in err
    assert not missing.exists() and not missing.parent.exists()  # no file, no folder
    assert list(out_dir.iterdir()) == []  # and no report of nothing


def test_a_file_without_the_apps_tables_is_refused(tmp_path, capsys):
    other = tmp_path / "other.sqlite3"
    import sqlite3

    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    out = tmp_path / "stats.csv"
    assert cli.main(["--db", f"sqlite:///{other.as_posix()}", "export-stats", "--fiscal-year", "2026",
                     "-o", str(out)]) == 1
    assert "ふくふくデスクのデータがありません" in capsys.readouterr().err
    assert not out.exists()
    with sqlite3.connect(other) as conn:  # untouched: no migration ran on someone else's file
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["t"]


# --------------------------------------------------------------------------- ledger rows still to come (issue 13, item 6)


def test_import_of_a_future_closed_day_needs_a_managers_reason(made, url, tmp_path, capsys, monkeypatch):
    import os

    manager = os.environ["FUKUFUKU_DESK_TOKEN"]
    ledger = tmp_path / "future.csv"
    ledger.write_text("利用日,部屋,開始,終了,団体名,目的\n2027/01/02,大会議室,9:00,12:00,市民講座の会,講座\n",
                      encoding="utf-8")
    assert cli.main(["--db", url, "import-bookings", str(ledger)]) == 1
    err = capsys.readouterr().err
    assert "2027/01/02（土）は休館日（年末年始休館）です" in err and "--override-reason" in err
    assert count(url, Booking) == 0

    desk = signed_in(monkeypatch, url, "受付スタッフ")
    assert cli.main(["--db", url, "import-bookings", str(ledger), "--staff", "受付スタッフ",
                     "--override-reason", "市の依頼"]) == 1
    assert "管理者のみ" in capsys.readouterr().err and count(url, Booking) == 0
    monkeypatch.setenv("FUKUFUKU_DESK_TOKEN", manager)
    assert desk != manager

    assert cli.main(["--db", url, "import-bookings", str(ledger), "--override-reason", "市の依頼による臨時開館"]) == 0
    out = capsys.readouterr().out
    assert "規則外（理由：市の依頼による臨時開館）" in out
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            assert s.scalars(select(Booking.override_reason)).one() == "市の依頼による臨時開館"
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- usage errors and output files (issue 13, item 16)


ENGLISH = ("error:", "usage:", "required", "invalid choice", "not allowed", "unrecognized", "expected one",
           "argument", "choose from")


@pytest.mark.parametrize("argv, expected", [
    (["print-slips"], "次の指定が必要です：--date, -o/--output"),
    (["export-stats", "--month", "2026-10", "--fiscal-year", "2026", "-o", "a.pdf"], "--month と一緒には指定できません"),
    (["export-stats", "-o", "a.pdf"], "--month --fiscal-year のどれか1つを指定してください"),
    (["export-insurance", "--fiscal-year", "2026", "-o", "a.csv", "--kind", "all"], "「all」は選べません"),
    (["export-stats", "--fiscal-year", "2026", "-o", "a.pdf", "--bogus"], "わからない指定があります：--bogus"),
    (["print-slips", "--date"], "値を1つ続けて指定してください"),
    (["exprot-stats"], "「exprot-stats」は選べません"),
    (["db"], "次の指定が必要です：操作"),
    (["seed-demo", "--seed", "x"], "整数で指定してください"),
    (["print-slips", "--date", "2026-11-26", "-o", "x.txt"], "利用票のPDFの名前は .pdf で終わるようにしてください"),
    (["export-stats", "--fiscal-year", "2026", "-o", "stats.txt"], ".xlsx、.csv または .pdf で終わる"),
    (["export-groups", "groups.txt"], ".xlsx または .csv で終わる"),
], ids=["required", "not-allowed-with", "one-of", "invalid-choice", "unrecognized", "expected-one",
        "unknown-command", "db-without-operation", "not-an-integer", "slips-not-pdf", "stats-suffix", "groups-suffix"])
def test_usage_errors_are_japanese_and_exit_with_the_documented_code(capsys, argv, expected):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == cli.EXIT_USAGE == 1  # README / admin guide: every error exits 1
    err = capsys.readouterr().err
    assert expected in err and "使い方" in err and "エラー" in err, err
    assert not any(word in err for word in ENGLISH), err


def test_help_is_japanese_and_exits_0(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["print-slips", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("使い方: fukufuku-desk print-slips") and "オプション:" in out and "--force" in out
    assert "usage:" not in out and "options:" not in out


def test_a_pdf_named_txt_is_refused_not_renamed(made, url, tmp_path, capsys):
    _a_booking_on_2_december(url, tmp_path)
    with pytest.raises(SystemExit):
        cli.main(["--db", url, "print-slips", "--date", "2026-12-02", "-o", str(tmp_path / "slips.txt")])
    assert "「slips.txt」" in capsys.readouterr().err
    assert not (tmp_path / "slips.txt").exists() and not (tmp_path / "slips.txt.pdf").exists()


def _a_booking_on_2_december(url: str, tmp_path: Path) -> None:
    ledger = tmp_path / "one.csv"
    ledger.write_text("利用日,部屋,区分,団体名,目的\n2026/12/02,大会議室,午前,市民講座の会,講座\n", encoding="utf-8")
    assert cli.main(["--db", url, "import-bookings", str(ledger)]) == 0


OUTPUT_COMMANDS = {  # command → (argv before the output, how the output is given, a suffix it writes)
    "print-slips": (["print-slips", "--date", "2026-12-02"], "-o", ".pdf"),
    "export-stats": (["export-stats", "--fiscal-year", "2026"], "-o", ".xlsx"),
    "export-insurance": (["export-insurance", "--fiscal-year", "2026"], "-o", ".csv"),
    "export-groups": (["export-groups"], None, ".csv"),
    "backup": (["backup"], None, ".sqlite3"),
}


def _output_argv(command: str, target: Path, *extra: str) -> list[str]:
    head, flag, _ = OUTPUT_COMMANDS[command]
    return [*head, *([flag, str(target)] if flag else [str(target)]), *extra]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name or ".part" in p.name)


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_every_command_writes_its_output_the_same_way(made, url, tmp_path, capsys, command):
    _a_booking_on_2_december(url, tmp_path)
    capsys.readouterr()
    suffix = OUTPUT_COMMANDS[command][2]
    out_dir = tmp_path / "out"

    # A missing folder is created (every command alike), and the report says so.
    target = out_dir / "2026" / f"report{suffix}"
    assert cli.main(["--db", url, *_output_argv(command, target)]) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    assert target.is_file() and target.stat().st_size > 0
    assert f"フォルダ「{out_dir}」を作成しました" in captured.err and str(target) in captured.out
    first = target.read_bytes()

    # An existing file is not overwritten without --force, and is left exactly as it was.
    target.write_bytes(b"staff's own file")
    assert cli.main(["--db", url, *_output_argv(command, target)]) == 1
    err = capsys.readouterr().err
    assert "既にあります" in err and "--force" in err and "Traceback" not in err
    assert target.read_bytes() == b"staff's own file"

    # With --force it is replaced, through a temporary file renamed into place.
    assert cli.main(["--db", url, *_output_argv(command, target, "--force")]) == 0
    assert "上書きしました" in capsys.readouterr().err
    assert target.read_bytes()[:4] == first[:4] and target.stat().st_size > 100

    # A symbolic link at the destination is never followed: refused without --force; with it, the link
    # itself is replaced and the file it pointed to is untouched.
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not yours")
    link = out_dir / f"link{suffix}"
    link.symlink_to(elsewhere)
    assert cli.main(["--db", url, *_output_argv(command, link)]) == 1
    assert "既にあります" in capsys.readouterr().err and link.is_symlink()
    assert cli.main(["--db", url, *_output_argv(command, link, "--force")]) == 0
    assert not link.is_symlink() and link.is_file() and elsewhere.read_text() == "not yours"

    # A folder given as the file is refused; nothing half-written is ever left behind.
    (out_dir / f"folder{suffix}").mkdir()
    assert cli.main(["--db", url, *_output_argv(command, out_dir / f"folder{suffix}", "--force")]) == 1
    assert "フォルダです" in capsys.readouterr().err
    assert _leftovers(out_dir) == [] and _leftovers(out_dir / "2026") == []


def test_a_failed_export_leaves_the_old_file_and_no_temporary_file(made, url, tmp_path, capsys, monkeypatch):
    target = tmp_path / "ins.csv"
    target.write_text("old")
    signed_in(monkeypatch, url, "受付スタッフ")
    # Desk staff may not write the insurance roster: refused at the sign-in (and, were it not, inside the
    # write, after the temporary file).
    assert cli.main(["--db", url, "export-insurance", "--fiscal-year", "2026", "-o", str(target), "--force",
                     "--staff", "受付スタッフ"]) == 1
    assert "管理者のみ" in capsys.readouterr().err
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["cli.sqlite3", "ins.csv"]
    nested = tmp_path / "new" / "folder" / "ins.csv"
    assert cli.main(["--db", url, "export-insurance", "--fiscal-year", "2026", "-o", str(nested),
                     "--staff", "受付スタッフ"]) == 1
    assert not (tmp_path / "new").exists()  # no empty folder left by a refused command


# --------------------------------------------------------------------------- one room: one tail, a light parser


def _commands(parser, path=()) -> dict[str, object]:
    """Every handler registered on ``parser`` and its sub-parsers, by the command as typed."""
    import argparse

    found = {" ".join(path) or "(画面)": parser._defaults.get("handler")} if "handler" in parser._defaults else {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(_commands(sub, (*path, name)))
    return found


def test_every_command_runs_through_the_one_error_tail(capsys):
    """Each command module registers its handlers the one way (context.command), so a DomainError, a file
    that cannot be written or a database that cannot be opened reads the same from every command: one
    Japanese line on stderr, exit status 1, no traceback. No command module catches errors itself."""
    import dataclasses

    from sqlalchemy.exc import OperationalError

    from booking_app.cli.context import Command
    from booking_app.domain.errors import NotFound, PermissionDenied, ValidationError

    handlers = _commands(cli.build_parser())
    assert {"(画面)", "db upgrade", "seed-demo", "import-bookings", "verify-audit", "import-groups",
            "export-groups", "print-slips", "export-insurance", "export-stats", "backup", "restore",
            "lottery-entries", "lottery-draw", "lottery-verify", "lottery-print", "waitlist",
            "decrypt-backup", "staff unlock", "staff reset-password", "staff token create", "staff token list",
            "staff token revoke"} == set(handlers)
    failures = [ValidationError("「会員数」は1以上の整数にしてください。"), NotFound("担当者「山田」は登録されていません。"),
                PermissionDenied("団体名簿の書き出しは管理者のみ行えます。"), OSError(28, "No space left on device"),
                OperationalError("SELECT 1", {}, Exception("database is locked"))]
    for name, handler in handlers.items():
        assert isinstance(handler, Command), name
        for failure in failures:
            def fail(ctx, failure=failure):
                raise failure

            # engine and actor handed in: the sign-in and start-up are skipped, the handler runs at once
            assert dataclasses.replace(handler, run=fail, check=None)(types.SimpleNamespace(), object(), object()) == \
                cli.EXIT_ERROR, (name, failure)
            said = capsys.readouterr()
            assert said.out == "" and "Traceback" not in said.err, (name, failure)
            lines = said.err.strip().splitlines()
            assert lines and any("\u3040" <= ch <= "\u30ff" for ch in lines[0]), (name, failure, said.err)
            if hasattr(failure, "message"):
                assert lines == [failure.message], (name, said.err)
    sources = Path(cli.__file__).parent
    catching = [p.name for p in sorted(sources.glob("*.py"))
                if "except DomainError" in p.read_text(encoding="utf-8") and p.name != "context.py"]
    assert catching == []


def test_a_real_command_refused_exits_like_every_other(tmp_path, capsys):
    """Through main(): the same tail for a command that never reached its handler (no such database)."""
    missing = f"sqlite:///{(tmp_path / 'none.sqlite3').as_posix()}"
    for argv in (["export-stats", "--month", "2026-10", "-o", str(tmp_path / "s.csv")],
                 ["export-groups", str(tmp_path / "g.csv")], ["backup", str(tmp_path / "b.sqlite3")],
                 ["staff", "unlock", "山田"], ["verify-audit"]):
        assert cli.main(["--db", missing, *argv]) == cli.EXIT_ERROR, argv
        err = capsys.readouterr().err
        assert "データベースが見つかりません" in err and "Traceback" not in err, (argv, err)
    assert not (tmp_path / "none.sqlite3").exists()


def test_the_parser_is_built_without_sqlalchemy_or_qt():
    """The plain run path parses its arguments before SQLAlchemy, the models, the services or Qt load
    (they are imported inside the handlers): checked in a fresh interpreter."""
    import subprocess

    code = ("import sys\n"
            "from booking_app import cli\n"
            "cli.build_parser().parse_args(['--db', 'x.sqlite3', '--screenshot', 'a.png'])\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'PySide6', 'openpyxl')\n"
            "               or m.startswith(('booking_app.services', 'booking_app.store', 'booking_app.ui')))\n"
            "print(heavy)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(booking_app.__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
