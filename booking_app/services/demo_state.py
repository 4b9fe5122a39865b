"""Whether a database is empty, holds only demo data, or is in use (デモデータの判定).

``seed-demo`` (cli/demo.py) and the window's ``--demo`` (app.py, cli/run.py) ask it before seeding: the
seeder gives every account the public demo password, so a database in use is never seeded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app.store.models import AuditEntry, Booking, InsuranceEnrolment, MemberGroup, Receipt, Staff

# Audit actions that change no data: they may follow a seed-demo without making the database a real one.
DEMO_HARMLESS_ACTIONS = ("login", "logout", "lock", "denied", "cli_sign_in_refused")


def demo_state(session: Session) -> tuple[str, list[str]]:
    """("empty" | "demo" | "real", what was found). Empty: no group, booking, receipt, insurance enrolment,
    staff password or audit row (but the harmless ones). Demo: the last audit row that changes data is a
    ``seed_demo`` one, i.e. nobody wrote anything after the last seed-demo (every write records an audit
    row; audit ids only grow). Anything else is a database in use."""
    def count(model: Any, *where: Any) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    found = []
    for what, n in (("登録団体", count(MemberGroup)), ("予約", count(Booking)), ("領収書", count(Receipt)),
                    ("保険の加入", count(InsuranceEnrolment)),
                    ("パスワードのある担当者", count(Staff, Staff.password_hash.is_not(None)))):
        if n:
            found.append(f"{what}{n}件")
    changes = AuditEntry.action.not_in(DEMO_HARMLESS_ACTIONS)
    audits = count(AuditEntry, changes)
    if not found and not audits:
        return "empty", []
    if audits:
        found.append(f"操作履歴{audits}件")
    last = session.scalars(select(AuditEntry).where(changes).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is not None and last.action == "seed_demo":
        return "demo", found
    if last is not None:
        found.append(f"最後の操作：{last.at:%Y-%m-%d %H:%M}「{last.summary[:40]}」")
    return "real", found
