"""``seed-demo [--seed N] [--force]``: demo data (about 300 groups, a year of bookings) into the database,
and :func:`demo_state`, which the window's ``--demo`` asks too (booking_app/app.py).

No sign-in: an empty database has nobody to sign in, and nothing personal is read. SQLAlchemy, the models
and the seeder are imported inside the functions: the parser imports this module before Qt starts on the
plain ``run`` path (cli/context.py says how that is measured).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from booking_app.cli.context import Context, command, out, prepare
from booking_app.cli.parser import EXIT_OK, int_arg
from booking_app.domain.errors import ValidationError


def register(subparsers: argparse._SubParsersAction, *, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    seed = subparsers.add_parser("seed-demo", parents=list(parents), help="デモデータ（団体約300・1年分の予約）を作成")
    seed.add_argument("--seed", type=int_arg, default=7, help="乱数の種（同じ種なら同じデータ）")
    seed.add_argument("--force", action="store_true",
                      help="以前の seed-demo で作ったデモデータだけのデータベースに、もう一度デモデータを加える"
                           "（本番のデータがあるデータベースには、--force でも作成しません）")
    command(seed, run_seed_demo)


# Audit actions that change no data: they may follow a seed-demo without making the database a real one.
_DEMO_HARMLESS_ACTIONS = ("login", "logout", "lock", "denied", "cli_sign_in_refused")


def demo_state(session: Any) -> tuple[str, list[str]]:
    """("empty" | "demo" | "real", what was found). Empty: no group, booking, receipt, insurance enrolment,
    staff password or audit row (but the harmless ones). Demo: the last audit row that changes data is a
    ``seed_demo`` one, i.e. nobody wrote anything after the last seed-demo (every write records an audit
    row; audit ids only grow). Anything else is a database in use."""
    from sqlalchemy import func, select

    from booking_app.store.models import (AuditEntry, Booking, InsuranceEnrolment, MemberGroup, Receipt,
                                          Staff)

    def count(model: Any, *where: Any) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    found = []
    for what, n in (("登録団体", count(MemberGroup)), ("予約", count(Booking)), ("領収書", count(Receipt)),
                    ("保険の加入", count(InsuranceEnrolment)),
                    ("パスワードのある担当者", count(Staff, Staff.password_hash.is_not(None)))):
        if n:
            found.append(f"{what}{n}件")
    changes = AuditEntry.action.not_in(_DEMO_HARMLESS_ACTIONS)
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


def run_seed_demo(ctx: Context) -> int:
    """Demo data only into an empty database or one that holds nothing but earlier demo data (then with
    --force). A database in use is refused whatever the options: seed_demo gives every account the public
    demo password."""
    from booking_app.services.demo import seed_demo
    from booking_app.store.engine import write_session

    label = ctx.label
    engine = prepare(ctx.url)
    try:
        with write_session(engine) as session:
            state, found = demo_state(session)
            if state == "real":
                raise ValidationError(
                    f"このデータベース（{label}）には本番のデータがあるため、デモデータは作成しません"
                    f"（見つかったもの：{'、'.join(found)}）。デモデータは担当者のパスワードを公開のデモ用に"
                    "置き換えるため、--force を付けても作成しません。新しいファイル名を --db に指定してください。")
            if state == "demo" and not ctx.args.force:
                raise ValidationError(
                    f"このデータベース（{label}）には既にデモデータがあります（{'、'.join(found)}）。"
                    "もう一度加えるときは --force を付けてください（既存の予約とは重ねません）。")
            counts = seed_demo(session, today=ctx.today(), seed=ctx.args.seed)
    finally:
        engine.dispose()
    out(f"デモデータを作成しました（{label}）。")
    out(f"  期間：{counts['first_day']}〜{counts['last_day']}")
    out(f"  団体：{counts['groups']}件（有効{counts['groups_active']}件）")
    out(f"  予約：{counts['bookings']}件（繰り返し予約{counts['series']}件分の{counts['series_bookings']}件を含む）")
    out(f"    利用済{counts['completed']}件・確定{counts['confirmed']}件・仮予約{counts['tentative']}件・"
        f"取消{counts['cancelled']}件・無断キャンセル{counts['no_show']}件")
    out(f"  所要時間：{counts['seconds']}秒")
    return EXIT_OK
