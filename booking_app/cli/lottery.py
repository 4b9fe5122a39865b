"""The lottery's commands (抽選, issue 18): the month's entries, the draw, its audit replay, the result papers.

    fukufuku-desk lottery-entries --month 2027-03 [-o 申込一覧.pdf]   the entries as text, or the PDF list
    fukufuku-desk lottery-draw --month 2027-03                        run the draw (管理者)
    fukufuku-desk lottery-verify --month 2027-03                      re-run it from the stored seed: exit 0 / 1
    fukufuku-desk lottery-print --month 2027-03 --results DIR          the result sheets and the public list

Every command signs in (the entries name the groups); the draw needs a manager's sign-in, as the other
manager commands do, and the service checks it again with its own Japanese message. The draw's refusals
(before the draw day, a month drawn already, a group that may no longer book) are the service's messages,
through the one error tail. ``lottery-verify`` exits 1 when the replay does not give the stored result, so a
scheduled audit job can alert on it.

The services and the reports are imported inside the handlers: the parser imports this module before Qt
starts on the plain ``run`` path (cli/context.py says how that is measured).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from booking_app.cli.context import Context, SignIn, command, err, out
from booking_app.cli.parser import EXIT_ERROR, EXIT_OK
from booking_app.cli.stats import parse_month
from booking_app.output_files import add_force_option, output_path_arg


def _month(args: argparse.Namespace) -> date:
    year, month = args.month
    return date(year, month, 1)


def _label(month: date) -> str:
    return f"{month.year}年{month.month}月分"


def _month_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--month", metavar="YYYY-MM", type=parse_month, required=True,
                   help="抽選の対象月（利用する月。例：2027-03）")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``lottery-entries``, ``lottery-draw``, ``lottery-verify`` and ``lottery-print``."""
    p = subparsers.add_parser("lottery-entries", parents=list(parents), help="抽選の申込一覧（文字、またはPDF）",
                              description="対象月の抽選の申込を受付番号の順に表示します。-o を付けるとPDFの申込一覧を"
                                          "書き出します。")
    _month_option(p)
    p.add_argument("-o", "--output", metavar="FILE.pdf", type=output_path_arg(".pdf", what="申込一覧のPDF"),
                   default=None, help="書き出すPDFファイル（省略時は画面に表示）")
    add_force_option(p)
    command(p, run_lottery_entries, signin=SignIn("抽選の申込一覧"))

    p = subparsers.add_parser("lottery-draw", parents=list(parents), help="抽選を実施する（管理者）",
                              description="対象月の抽選を実施します。当選は確定の期限つきの仮予約になります。"
                                          "同じ月の抽選は一度だけです。")
    _month_option(p)
    command(p, run_lottery_draw, signin=SignIn("抽選の実施", manager=True))

    p = subparsers.add_parser("lottery-verify", parents=list(parents), help="抽選を記録のシードで再現して確かめる",
                              description="記録されたシードと入力で抽選をやり直し、記録と同じ結果か確かめます。"
                                          "同じなら終了コード0、違えば1。")
    _month_option(p)
    command(p, run_lottery_verify, signin=SignIn("抽選の再現（監査）"))

    p = subparsers.add_parser("lottery-print", parents=list(parents), help="抽選結果のお知らせと掲示用の一覧をPDFにする",
                              description="団体ごとの抽選結果のお知らせ（1団体1枚）と、受付番号だけの掲示用一覧を、"
                                          "指定したフォルダにPDFで書き出します。")
    _month_option(p)
    p.add_argument("--results", metavar="DIR", type=Path, required=True, help="PDFを書き出すフォルダ")
    add_force_option(p)
    command(p, run_lottery_print, signin=SignIn("抽選結果の印刷"))


def run_lottery_entries(ctx: Context) -> int:
    from booking_app.reports.lottery_pdf import wish_text, write_entry_list
    from booking_app.services.common import local_now
    from booking_app.services.lottery_docs import entry_list_doc
    from booking_app.store.engine import read_session

    month = _month(ctx.args)
    with read_session(ctx.opened_engine()) as session:
        doc = entry_list_doc(session, month, printed_at=local_now())
    if ctx.args.output is not None:
        with ctx.output(ctx.args.output, suffixes=(".pdf",)) as written:
            pages = write_entry_list(written.temp, doc)
        out(f"{_label(month)}の抽選の申込一覧（{len(doc.rows)}件・{pages}ページ）を「{ctx.args.output}」に書き出しました。")
        return EXIT_OK
    out(f"{_label(month)}の抽選の申込：{len(doc.rows)}件"
        f"（申込期間 {doc.entry_open:%Y/%m/%d}〜{doc.entry_close:%Y/%m/%d}、抽選日 {doc.draw_on:%Y/%m/%d}）")
    for r in doc.rows:
        reg = f"（{r.group_reg_no}）" if r.group_reg_no else ""
        out(f"{r.entry_no:>4}  {r.status_label}  {r.group_name}{reg}  {r.channel}")
        for w in r.wishes:
            out(f"      {wish_text(w)}")
    return EXIT_OK


def run_lottery_draw(ctx: Context) -> int:
    from booking_app.services.common import local_now
    from booking_app.services.lottery import run_draw
    from booking_app.store.engine import write_session

    month = _month(ctx.args)
    with write_session(ctx.opened_engine()) as session:
        view = run_draw(session, ctx.signed_actor(), month, now=local_now())
    out(f"{_label(month)}の抽選を実施しました：申込{view.entries}件、当選{view.won}件、落選{view.lost}件。")
    out(f"シード：{view.seed}")
    out(f"ダイジェスト：{view.digest}")
    return EXIT_OK


def run_lottery_verify(ctx: Context) -> int:
    from booking_app.services.lottery import draw_view, replay_draw
    from booking_app.store.engine import read_session

    month = _month(ctx.args)
    with read_session(ctx.opened_engine()) as session:
        same = replay_draw(session, month)  # NotFound (Japanese) before the draw
        view = draw_view(session, month)
    assert view is not None  # replay_draw found the draw
    if same:
        out(f"{_label(month)}の抽選をシード {view.seed} から再現しました：記録と同じ結果です"
            f"（ダイジェスト {view.digest}）。")
        return EXIT_OK
    err(f"{_label(month)}の抽選をシード {view.seed} から再現すると、記録と違う結果になりました。"
        "抽選の後に申込（団体・希望・取下げ）が変えられていないか、操作履歴で確かめてください。")
    return EXIT_ERROR


def run_lottery_print(ctx: Context) -> int:
    from booking_app.reports.lottery_pdf import write_public_list, write_result_sheet
    from booking_app.services.lottery_docs import public_list_doc, result_docs
    from booking_app.store.engine import read_session

    month = _month(ctx.args)
    folder: Path = ctx.args.results
    if folder.exists() and not folder.is_dir():
        from booking_app.domain.errors import ValidationError

        raise ValidationError(f"「{folder}」はフォルダではありません。書き出すフォルダを指定してください。",
                              field="results")
    with read_session(ctx.opened_engine()) as session:
        sheets = result_docs(session, month)  # NotFound (Japanese) before the draw
        public = public_list_doc(session, month)
    stem = f"{month.year}-{month.month:02d}"
    sheets_path, public_path = folder / f"抽選結果のお知らせ_{stem}.pdf", folder / f"抽選結果_掲示用_{stem}.pdf"
    with ctx.output(sheets_path, suffixes=(".pdf",)) as written:
        sheet_pages = write_result_sheet(written.temp, sheets)
    with ctx.output(public_path, suffixes=(".pdf",)) as written:
        public_pages = write_public_list(written.temp, public)
    out(f"{_label(month)}の抽選結果のお知らせ（{len(sheets)}団体・{sheet_pages}ページ）を「{sheets_path}」に、"
        f"掲示用の一覧（{len(public.rows)}件・{public_pages}ページ）を「{public_path}」に書き出しました。")
    return EXIT_OK


__all__ = ["register", "run_lottery_entries", "run_lottery_draw", "run_lottery_verify", "run_lottery_print"]
