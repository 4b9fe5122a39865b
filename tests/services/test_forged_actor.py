"""Stop trusting a passed-in role (issue 14): the services re-read the staff row in their transaction.

An ``Actor`` is only a claim: ``Actor(desk.id, …, "admin")`` once created an administrator. Now the role and
the active flag come from the staff row of ``actor.id`` (read once per transaction), a refusal is recorded
as a ``denied`` audit entry under the real staff member, and a role or active change made by an
administrator takes effect on that person's very next write.
"""

from __future__ import annotations

import pytest
from factories import DAY, NOW, World, at
from sqlalchemy import func, select

from booking_app.domain.errors import PermissionDenied
from booking_app.services import auth, common
from booking_app.services.stats import month_close as stats
from booking_app.services import payments as pay
from booking_app.services.common import Actor
from booking_app.store.models import AuditEntry, Booking, Staff

PW = "kanmon-2026"


@pytest.fixture
def admin(world: World, monkeypatch) -> Actor:
    monkeypatch.setattr(auth, "SCRYPT_N", 2**10)
    with world.write() as s:
        return auth.create_first_admin(s, name="管理 太郎", password=PW, now=NOW)


def _denials(world: World) -> list[AuditEntry]:
    with world.read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "denied").order_by(AuditEntry.id)))


def _staff_count(world: World) -> int:
    with world.read() as s:
        return s.scalar(select(func.count()).select_from(Staff))


def test_a_forged_admin_cannot_create_an_administrator_and_the_refusal_names_the_clerk(world: World, admin):
    desk = world.desk
    forged = Actor(desk.id, desk.name, "admin")
    before = _staff_count(world)
    with pytest.raises(PermissionDenied) as refused, world.write() as s:
        auth.create_account(s, forged, name="乗っ取り 次郎", role="admin", password=PW, now=NOW)
    assert "システム管理者のみ" in refused.value.message
    assert _staff_count(world) == before
    [entry] = _denials(world)
    assert entry.staff_id == desk.id and entry.entity == "staff" and entry.entity_id == desk.id
    assert entry.summary == (f"「{desk.name}」（受付）の担当者アカウントの登録を拒否、端末の申告した権限：システム管理")
    assert entry.after["role"] == "desk" and entry.after["claimed_role"] == "admin"
    with world.read() as s:  # 操作履歴 names the refusal in Japanese
        from booking_app.services import audit_log

        [row] = [r for r in audit_log.query_audit(s).rows if r.id == entry.id]
    assert row.action_label == "拒否"


def test_a_forged_manager_cannot_override_the_rules_or_void_a_receipt(world: World, admin):
    desk = world.desk
    forged = Actor(desk.id, desk.name, "manager")
    late = DAY.replace(year=2027, month=1, day=13)  # beyond a person's booking window
    with pytest.raises(PermissionDenied, match="管理者のみ"):
        world.book(at(late, 10), at(late, 12), actor=forged, override_reason="市の行事のため")
    assert world.count(Booking) == 0
    with world.write() as s:
        charge = pay.add_item_charge(s, desk, "コピー 白黒", 3, payer_name="山田花子", now=NOW)
        receipt = pay.take_payment(s, desk, [charge.id], payer_name="山田花子", purpose="コピー代として", now=NOW,
                                   terminal="受付1")
    with pytest.raises(PermissionDenied, match="管理者のみ"), world.write() as s:
        pay.void_receipt(s, forged, receipt.id, "金額の誤り", now=NOW, terminal="受付1")
    assert [(e.staff_id, e.after["what"]) for e in _denials(world)] == [
        (desk.id, "規則外の予約"), (desk.id, "領収書の取消")]


def test_a_role_change_takes_effect_on_the_next_write(world: World, admin):
    desk, manager = world.desk, world.manager
    # Demoted while signed in: the terminal still believes "manager", the database says desk.
    with world.write() as s:
        auth.update_account(s, admin, manager.id, role="desk", now=NOW)
    with pytest.raises(PermissionDenied), world.write() as s:
        stats.close_month(s, manager, 2026, 10, now=NOW)
    # Promoted while signed in: the terminal still believes "desk", and the promotion counts at once.
    with world.write() as s:
        auth.update_account(s, admin, desk.id, role="manager", now=NOW)
    with world.write() as s:
        stats.close_month(s, desk, 2026, 10, now=NOW)


def test_a_deactivated_account_cannot_write_at_all(world: World, admin):
    desk = world.desk
    world.book(at(DAY, 9), at(DAY, 10))  # fine while active
    with world.write() as s:
        auth.update_account(s, admin, desk.id, active=False, now=NOW)
    with pytest.raises(PermissionDenied, match="無効") as refused:
        world.book(at(DAY, 13), at(DAY, 14))  # the terminal is still signed in as desk
    assert desk.name in refused.value.message
    with pytest.raises(PermissionDenied, match="無効"), world.write() as s:
        pay.add_item_charge(s, desk, "コピー 白黒", 1, payer_name="山田花子", now=NOW)
    assert world.count(Booking) == 1
    assert [e.staff_id for e in _denials(world)] == [desk.id, desk.id]
    assert "無効なアカウント" in _denials(world)[0].summary
    with world.write() as s:
        auth.update_account(s, admin, desk.id, active=True, now=NOW)
    world.book(at(DAY, 13), at(DAY, 14))
    assert world.count(Booking) == 2


def test_an_actor_with_no_staff_row_is_refused(world: World):
    ghost = Actor(9999, "幽霊", "admin")
    with pytest.raises(PermissionDenied, match="担当者が見つかりません"):
        world.book(at(DAY, 9), at(DAY, 10), actor=ghost)
    assert world.count(Booking) == 0 and _denials(world) == []


def test_the_staff_row_is_read_once_per_transaction(world: World, admin, monkeypatch):
    reads: list[int] = []
    read, read_pg = common._read_staff_row, common._read_staff_rows_pg

    def counting(session, staff_id):
        reads.append(staff_id)
        return read(session, staff_id)

    def counting_pg(session, staff_id):  # PostgreSQL: the row and the login's own row in one query
        reads.append(staff_id)
        return read_pg(session, staff_id)

    monkeypatch.setattr(common, "_read_staff_row", counting)
    monkeypatch.setattr(common, "_read_staff_rows_pg", counting_pg)
    with world.write() as s:  # two writes, two audit entries: one read
        charge = pay.add_item_charge(s, world.desk, "コピー 白黒", 3, payer_name="山田花子", now=NOW)
        receipt = pay.take_payment(s, world.desk, [charge.id], payer_name="山田花子", purpose="コピー代として",
                                   now=NOW, terminal="受付1")
    assert reads == [world.desk.id]
    with world.write() as s:  # a manager's void: the permission check and the audit entry share one read
        pay.void_receipt(s, world.manager, receipt.id, "金額の誤り", now=NOW, terminal="受付1")
    assert reads == [world.desk.id, world.manager.id]


def test_every_permission_check_in_the_services_passes_its_session():
    """``require_manager``/``require_admin`` decide from the staff row read in the caller's transaction,
    so each call names the session; the UI's early hint is ``precheck_manager`` (never a guard)."""
    import ast
    from pathlib import Path

    root = Path(common.__file__).resolve().parents[1]
    offences = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("require_manager", "require_admin")):
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Name) and first.id in ("session", "s")) or len(node.args) != 3:
                    offences.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert offences == []
