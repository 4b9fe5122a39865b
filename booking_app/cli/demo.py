"""``seed-demo [--seed N] [--force]``: demo data (about 300 groups, a year of bookings) into the database,
refused on a database in use (services/demo_state.py, which the window's ``--demo`` asks too).

No sign-in: an empty database has nobody to sign in, and nothing personal is read. SQLAlchemy, the models
and the seeder are imported inside the functions: the parser imports this module before Qt starts on the
plain ``run`` path (cli/context.py says how that is measured).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from booking_app.cli.context import Context, command, out, prepare
from booking_app.cli.parser import EXIT_OK, int_arg
from booking_app.domain.errors import ValidationError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    seed = subparsers.add_parser("seed-demo", parents=list(parents), help="デモデータ（団体約300・1年分の予約）を作成")
    seed.add_argument("--seed", type=int_arg, default=7, help="乱数の種（同じ種なら同じデータ）")
    seed.add_argument("--force", action="store_true",
                      help="以前の seed-demo で作ったデモデータだけのデータベースに、もう一度デモデータを加える"
                           "（本番のデータがあるデータベースには、--force でも作成しません）")
    command(seed, run_seed_demo)


def run_seed_demo(ctx: Context) -> int:
    """Demo data only into an empty database or one that holds nothing but earlier demo data (then with
    --force). A database in use is refused whatever the options: seed_demo gives every account the public
    demo password."""
    from booking_app.demo.seeder import seed_demo
    from booking_app.services.demo_state import demo_state
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
