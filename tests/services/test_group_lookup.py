"""Registered-group lookup for the booking dialog's completer (both databases)."""

from __future__ import annotations

from datetime import date, datetime

from booking_app.services.group_lookup import get_group, search_groups
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import MemberGroup


def _groups(engine):
    with write_session(engine) as s:
        for reg, name, kana, status, until in (
            ("R0001", "ふくふく読書会", "ふくふくどくしょかい", "active", None),
            ("R0002", "読書と映画の会", "どくしょとえいがのかい", "active", date(2026, 3, 31)),
            ("R0003", "関門太鼓の会", "かんもんたいこのかい", "suspended", None),
            ("R0010", "彦島自治会", "ひこしまじちかい", "deregistered", None),
        ):
            s.add(MemberGroup(reg_no=reg, name=name, kana=kana, status=status, valid_until=until,
                              created_at=datetime(2026, 4, 1)))


def test_search_by_name_kana_and_number(db_engine):
    _groups(db_engine)
    with read_session(db_engine) as s:
        assert {h.reg_no for h in search_groups(s, "読書")} == {"R0001", "R0002"}
        assert [h.name for h in search_groups(s, "かんもん")] == ["関門太鼓の会"]
        # an exact registration number comes first even though R0010 also contains it
        assert [h.reg_no for h in search_groups(s, "R0001")][0] == "R0001"
        assert len(search_groups(s, "", limit=2)) == 2
        assert search_groups(s, "存在しない") == []


def test_state_label_on_the_booking_day(db_engine):
    _groups(db_engine)
    with read_session(db_engine) as s:
        hits = {h.reg_no: h for h in search_groups(s, "")}
        gid = hits["R0001"].id
        assert get_group(s, gid).display == "R0001 ふくふく読書会"
        assert get_group(s, 999999) is None
    day = date(2026, 12, 2)
    assert (hits["R0001"].state_label(day), hits["R0001"].is_valid_on(day)) == ("有効", True)
    assert (hits["R0002"].state_label(day), hits["R0002"].is_valid_on(day)) == ("期限切れ", False)
    assert hits["R0002"].state_label(date(2026, 2, 1)) == "有効"
    assert hits["R0002"].state_label(date(2026, 3, 1)) == "更新待ち"  # within a month of its end
    assert hits["R0002"].is_valid_on(date(2026, 3, 1))
    assert hits["R0003"].state_label(day) == "停止" and not hits["R0003"].is_valid_on(day)
    assert hits["R0010"].state_label(day) == "抹消"
