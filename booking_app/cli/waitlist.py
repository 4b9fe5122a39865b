"""The waiting lists as text (キャンセル待ち, issue 18), for the morning's check or a scheduled job.

    fukufuku-desk waitlist [--days 30]     slots free again with people waiting, then every open list

Read-only; it signs in (the lists name groups and people and their phone numbers). Offers past their
reply-by time read as 期限切れ here only when the desk's screens or a write have turned them so; the
freed slots leave lapsed offers out as the today page does. The services are imported inside the handler
(cli/context.py says why).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from booking_app.cli.context import Context, SignIn, command, out
from booking_app.cli.parser import EXIT_OK, int_arg


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``waitlist``."""
    p = subparsers.add_parser("waitlist", parents=list(parents), help="キャンセル待ちの一覧（空いた枠と待ちの順番）",
                              description="空いた枠で待っている方と、これからの区分のキャンセル待ちを順番どおりに"
                                          "表示します。")
    p.add_argument("--days", metavar="N", type=int_arg, default=30, help="今日から何日先までの区分を表示するか（既定30）")
    command(p, run_waitlist, signin=SignIn("キャンセル待ちの一覧"))


def run_waitlist(ctx: Context) -> int:
    from datetime import datetime, timedelta

    from booking_app.services import waitlist as wl
    from booking_app.services.common import local_now
    from booking_app.store.engine import read_session

    now = local_now()
    today = now.date()
    last = today + timedelta(days=max(ctx.args.days, 0))
    with read_session(ctx.opened_engine()) as session:
        freed = wl.freed_slots(session, today, now)
        counts = wl.slot_counts(session, today, last)
        lists: dict[tuple[int, datetime, datetime], list[wl.EntryView]] = {}
        for room_id, start in sorted(counts, key=lambda k: (k[1], k[0])):
            for entry in wl.slot_entries(session, room_id, start):
                lists.setdefault((room_id, entry.start, entry.end), []).append(entry)
    out(f"空いた枠のキャンセル待ち：{len(freed)}件")
    for f in freed:
        nxt = f.offered or f.next_in_line
        who = f"{'連絡済' if f.offered else '次'}：{nxt.place}番 {nxt.who}" if nxt is not None else ""
        out(f"  {f.slot.text_ja}  待ち{f.waiting}名  {who}")
    out(f"キャンセル待ちのある区分（{today:%Y/%m/%d}〜{last:%Y/%m/%d}）：{len(lists)}件")
    for entries in lists.values():
        out(f"  {wl.slot_text(entries[0].room_name, entries[0].start, entries[0].end)}")
        for e in entries:
            reply = f"  回答期限 {e.reply_by:%m/%d %H:%M}" if e.status == "offered" and e.reply_by else ""
            out(f"    {e.place:>2}番  {e.status_label}  {e.who}  {e.contact_phone}{reply}")
    return EXIT_OK
