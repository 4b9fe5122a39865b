"""The accident report (事故報告書) PDF from a hand-written document: everything the insurer asks is on
the page, inside the paper, in the embedded font; a long account runs on; user text stays plain text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

from booking_app.reports.accident_pdf import AccidentReportDoc, render_accident_report
from booking_app.reports.layout import Drawn
from tests.reports.test_insurance_pdf import ISSUER, MM, assert_inside_pages, assert_only_ipaex_embedded, \
    flat_text, page_count


def make_doc(**changes) -> AccidentReportDoc:
    doc = AccidentReportDoc(
        report_no="000007", printed_on=date(2026, 11, 25), addressee="下関市 まちづくり政策課 御中",
        person_name="山田 花子", reporter_name="代表 一子", reporter_phone="083-222-3333",
        group_name="ふくふく子ども食堂", group_reg_no="0012", occurred_at=datetime(2026, 11, 20, 14, 30),
        place="みもすそ川公園", description="清掃活動中、濡れた石段で足を滑らせて転倒した。",
        injury="右手首のねんざ（関門医院に通院）", damage="", witnesses="佐藤 一郎（会員、090-1234-5678）",
        plan_name="下関市市民活動保険", enrolment_no="000012",
        cover_text="事故の日（2026/11/20）は補償期間内です", deadline=date(2026, 12, 4), status_label="未送付",
        sent_on=None, received_at=datetime(2026, 11, 25, 10, 5), received_by="受付 太郎", issuer=ISSUER)
    return replace(doc, **changes)


def render(tmp_path, doc: AccidentReportDoc, name: str = "report"):
    out = tmp_path / f"{name}.pdf"
    record: list[Drawn] = []
    pages = render_accident_report(doc, out, record=record)
    return out, record, pages


def test_the_report_has_what_the_insurer_asks(tmp_path):
    out, record, pages = render(tmp_path, make_doc())
    assert pages == 1 == page_count(out)
    assert_only_ipaex_embedded(out)
    assert_inside_pages(record, 12 * MM)
    text = flat_text(out)
    for expected in ("事故報告書", "報告番号000007", "下関市まちづくり政策課御中", "事故にあった人", "山田花子",
                     "報告者", "代表一子", "報告者の連絡先", "TEL083-222-3333", "団体", "ふくふく子ども食堂（登録番号0012）",
                     "発生日時", "2026年11月20日（金）14:30（令和8年11月20日）", "発生場所", "みもすそ川公園",
                     "事故の状況", "濡れた石段で足を滑らせて転倒した", "けがの内容", "右手首のねんざ", "損害の内容",
                     "目撃者", "佐藤一郎（会員、090-1234-5678）", "下関市市民活動保険（加入番号000012）",
                     "補償期間内です", "報告期限", "2026年12月4日（令和8年12月4日）まで",
                     "受付者受付太郎", "しものせき市民活動センター", "作成日2026年11月25日（令和8年11月25日）"):
        assert expected in text, expected
    last = min((d for d in record if d.kind == "text" and d.role != "page_no"), key=lambda d: d.box[1])
    assert (last.text, last.role) == ("以上", "closing")
    assert not any(d.text.endswith("…") for d in record)


def test_what_was_not_given_says_so_and_markup_is_plain_text(tmp_path):
    doc = make_doc(reporter_name="", reporter_phone="", witnesses="", addressee="", plan_name="", enrolment_no="",
                   cover_text="", group_name="", group_reg_no="", description="<b>転倒</b> & <font size=40>x</font>")
    out, record, _ = render(tmp_path, doc)
    text = flat_text(out)
    assert "加入が確認できていません" in text and text.count("（記入なし）") == 4  # group, reporter, contact, witnesses
    assert "<b>転倒</b>&<fontsize=40>x</font>" in text
    assert "御中" not in text and "報告済" not in text
    out, _record, _ = render(tmp_path, make_doc(sent_on=date(2026, 11, 27), status_label="送付済"), "sent")
    assert "（2026/11/27報告済）" in flat_text(out)


def test_a_long_account_runs_on_with_the_label_and_ends_with_ijou(tmp_path):
    long = "\n".join(f"{i}. 活動の準備中に机を運んでいたところ、段差につまずいて転倒し、右手をついた。" for i in range(1, 70))
    out, record, pages = render(tmp_path, make_doc(description=long, witnesses="\n".join(["佐藤 一郎"] * 30)))
    assert pages >= 2 and page_count(out) == pages
    assert_inside_pages(record, 12 * MM)
    text = flat_text(out)
    assert "事故の状況（続き）" in text and "69.活動の準備中" in text
    for n in range(2, pages + 1):
        assert "continued" in {d.role for d in record if d.page == n}
        assert f"{n} / {pages}" in [d.text for d in record if d.page == n and d.role == "page_no"]
    last_page = [d for d in record if d.page == pages and d.kind == "text" and d.role != "page_no"]
    assert min(last_page, key=lambda d: d.box[1]).text == "以上"
    numbers = [int(m) for m in re.findall(r"(\d+)\. 活動", "\n".join(d.text for d in record))]
    assert numbers == list(range(1, 70))  # every line once, in order
