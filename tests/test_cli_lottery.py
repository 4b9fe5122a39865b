"""The lottery's commands (booking_app/cli/lottery.py, issue 18), run in-process with ``cli.main`` on a real
SQLite database signed in with a command token (tests/cli_login.py).

March 2027: entries 2026-12-01〜12-10 (taken here through the service on 12-05), the draw from 12-15.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from factories import at, load_world
from sqlalchemy import func, select

from booking_app import cli
from booking_app.services import lottery as lot
from booking_app.store.engine import make_engine, write_session
from booking_app.store.models import LotteryDraw, LotteryEntry, MemberGroup
from tests.cli_login import signed_in

pytestmark = pytest.mark.now("2026-12-16 09:30")

MONTH = date(2027, 3, 1)
TAKE = datetime(2026, 12, 5, 10, 0)
NAMES = ["しものせき子ども食堂ネットワーク", "下関手話サークルみみずく", "ふくふく朗読ボランティア"]


@pytest.fixture
def url(tmp_path, capsys, monkeypatch) -> str:
    """A database made by ``db upgrade`` with three groups and four entries for March 2027 (one withdrawn);
    the commands sign in as センター長."""
    u = f"sqlite:///{(tmp_path / 'cli.sqlite3').as_posix()}"
    assert cli.main(["--db", u, "db", "upgrade"]) == 0
    capsys.readouterr()
    signed_in(monkeypatch, u, "センター長")
    engine = make_engine(u)
    try:
        world = load_world(engine)
        with write_session(engine) as s:
            groups = []
            for i, name in enumerate(NAMES, start=1):
                g = MemberGroup(reg_no=f"R{i:04d}", name=name, kana="", status="active", valid_until=date(2027, 3, 31),
                                created_at=datetime(2026, 4, 1), created_by=world.manager.id)
                s.add(g)
                s.flush()
                groups.append(g.id)

        def ev(day: int, room: str = "大会議室"):
            d = date(2027, 3, day)
            return (world.rooms[room], at(d, 18), at(d, 22))

        wishes = [(groups[0], [[ev(5)], [ev(6)]]), (groups[1], [[ev(5)]]), (groups[2], [[ev(5), ev(6)]]),
                  (groups[2], [[ev(8, "多目的交流ホール")]])]
        ids = []
        for gid, w in wishes:
            with write_session(engine) as s:
                ids.append(lot.take_entry(s, world.desk, lot.EntryInput(gid, MONTH, "counter", w), now=TAKE).id)
        with write_session(engine) as s:
            lot.withdraw_entry(s, world.desk, ids[3], "団体の都合", now=TAKE)
    finally:
        engine.dispose()
    return u


def _count(url: str, model) -> int:
    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            return s.scalar(select(func.count()).select_from(model))
    finally:
        engine.dispose()


def test_entries_as_text_and_as_a_pdf(url, tmp_path, capsys):
    assert cli.main(["--db", url, "lottery-entries", "--month", "2027-03"]) == 0
    said = capsys.readouterr().out
    assert "2027年3月分の抽選の申込：4件" in said and "2026/12/01〜2026/12/10" in said
    assert all(n in said for n in NAMES) and "取下げ" in said and "受付済" in said
    assert "第1希望 大会議室 2027/03/05(金) 夜間 18:00〜22:00＋大会議室 2027/03/06(土) 夜間 18:00〜22:00" in said
    target = tmp_path / "申込一覧.pdf"
    assert cli.main(["--db", url, "lottery-entries", "--month", "2027年3月", "-o", str(target)]) == 0
    assert target.read_bytes()[:4] == b"%PDF" and "申込一覧（4件・1ページ）" in capsys.readouterr().out
    # An existing file is not overwritten without --force; a name not ending in .pdf is a usage error.
    assert cli.main(["--db", url, "lottery-entries", "--month", "2027-03", "-o", str(target)]) == 1
    assert "--force" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        cli.main(["--db", url, "lottery-entries", "--month", "2027-03", "-o", str(tmp_path / "a.txt")])
    assert stop.value.code == cli.EXIT_USAGE


def test_the_draw_prints_the_counts_and_the_seed_then_verify_and_print(url, tmp_path, capsys):
    assert cli.main(["--db", url, "lottery-draw", "--month", "2027-03"]) == 0, capsys.readouterr().err
    said = capsys.readouterr().out
    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            row = s.scalars(select(LotteryDraw)).one()
            view = lot.draw_view(s, MONTH)
    finally:
        engine.dispose()
    assert view is not None
    assert f"申込{row.entries}件、当選{row.won}件、落選{row.lost}件" in said and row.entries == 3
    assert f"シード：{row.seed}" in said and row.digest in said

    assert cli.main(["--db", url, "lottery-verify", "--month", "2027-03"]) == 0
    said = capsys.readouterr().out
    assert "同じ結果" in said and row.seed in said

    out_dir = tmp_path / "結果"
    assert cli.main(["--db", url, "lottery-print", "--month", "2027-03", "--results", str(out_dir)]) == 0
    said = capsys.readouterr().out
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == ["抽選結果_掲示用_2027-03.pdf", "抽選結果のお知らせ_2027-03.pdf"]
    assert "3団体" in said and "3件" in said
    # Again: refused without --force (the files stay), written with it.
    assert cli.main(["--db", url, "lottery-print", "--month", "2027-03", "--results", str(out_dir)]) == 1
    assert "--force" in capsys.readouterr().err
    assert cli.main(["--db", url, "lottery-print", "--month", "2027-03", "--results", str(out_dir), "--force"]) == 0

    # A second draw of the month is refused with the service's message; nothing changes.
    assert cli.main(["--db", url, "lottery-draw", "--month", "2027-03"]) == 1
    err = capsys.readouterr().err
    assert "2027年3月分の抽選は既に実施されています" in err and "Traceback" not in err
    assert _count(url, LotteryDraw) == 1


def test_verify_exits_1_when_an_entry_was_changed_after_the_draw(url, capsys):
    assert cli.main(["--db", url, "lottery-draw", "--month", "2027-03"]) == 0
    capsys.readouterr()
    engine = make_engine(url)
    try:
        with write_session(engine) as s:  # tampering behind the app's back (as an audit would find)
            e = s.scalars(select(LotteryEntry).where(LotteryEntry.entry_no == 2)).one()
            e.group_id = s.scalars(select(MemberGroup.id).where(MemberGroup.reg_no == "R0001")).one()
    finally:
        engine.dispose()
    assert cli.main(["--db", url, "lottery-verify", "--month", "2027-03"]) == 1
    said = capsys.readouterr()
    assert said.out == "" and "記録と違う結果" in said.err


def test_before_the_draw_verify_and_print_say_so(url, tmp_path, capsys):
    for argv in (["lottery-verify", "--month", "2027-03"],
                 ["lottery-print", "--month", "2027-03", "--results", str(tmp_path / "r")]):
        assert cli.main(["--db", url, *argv]) == 1
        err = capsys.readouterr().err
        assert "2027年3月分の抽選はまだ実施されていません" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


@pytest.mark.now("2026-12-14 10:00")
def test_the_draw_before_its_day_is_refused(url, capsys):
    assert cli.main(["--db", url, "lottery-draw", "--month", "2027-03"]) == 1
    assert "2027年3月分の抽選は2026年12月15日からです" in capsys.readouterr().err
    assert _count(url, LotteryDraw) == 0


def test_a_desk_sign_in_may_list_but_not_draw(url, monkeypatch, capsys):
    signed_in(monkeypatch, url, "受付スタッフ")
    assert cli.main(["--db", url, "lottery-entries", "--month", "2027-03"]) == 0
    capsys.readouterr()
    assert cli.main(["--db", url, "lottery-draw", "--month", "2027-03"]) == 1
    err = capsys.readouterr().err
    assert "管理者" in err and "Traceback" not in err
    assert _count(url, LotteryDraw) == 0


def test_a_desk_actor_handed_in_is_refused_by_the_service(url, capsys):
    """Past the sign-in (an engine and an actor handed in), the service refuses a desk actor itself."""
    import argparse

    from booking_app.cli import lottery as lottery_cli

    engine = make_engine(url)
    try:
        desk = load_world(engine).desk
        args = cli.build_parser().parse_args(["lottery-draw", "--month", "2027-03"])
        assert isinstance(args, argparse.Namespace) and args.handler.run is lottery_cli.run_lottery_draw
        assert args.handler(args, engine, desk) == 1
    finally:
        engine.dispose()
    err = capsys.readouterr().err
    assert "抽選の実施" in err and "管理者" in err
    assert _count(url, LotteryDraw) == 0
