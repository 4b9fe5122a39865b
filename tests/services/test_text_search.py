"""One search normalisation for every search, with ``%`` and ``_`` as plain characters (issue 13, item 5).

Before: 予約検索 compared raw kana with LIKE (しものせき and ｼﾓﾉｾｷ found nothing, シモノセキ did), and a
``%`` typed in the receipt search listed every receipt. Both databases (``db_url``).
"""

from __future__ import annotations

import pytest
from factories import DAY, NOW, World, at
from sqlalchemy import literal, select

from booking_app.domain.kana import contains_pattern, like_escape, search_key
from booking_app.services import bookings as svc
from booking_app.services import groups as group_svc
from booking_app.services import payments as pay
from booking_app.services.audit_log import AuditFilter, query_audit
from booking_app.store.models import MemberGroup

pytestmark = pytest.mark.now("2026-11-25 10:00")  # NOW of factories.py

TYPED = ["しものせき", "シモノセキ", "ｼﾓﾉｾｷ", "ｼ ﾓ ﾉ ｾ ｷ", "  しもの　せき ", "シモノ・セキ"]
CORPUS = ["シモノセキ子ども会", "しものせき読書会", "ｼﾓﾉｾｷﾎﾞﾗﾝﾃｨｱ", "ＡＢＣ　ｃｌｕｂ", "ボランティア・センター",
          "カ゛ワ", "ヴァイオリン", "083-224-1234", "０８３－２２４", "50%引き_A\\B", "2026-000123", "",
          "ヶ月ヵ所", "（株）関門「海峡」【夏】", "Straße ǅ ¯", "ﾞﾟ", "tab\there\nnew"]


def test_the_database_folds_text_as_search_key_does(world: World):
    """SQLite runs search_key itself; PostgreSQL's built-in spelling must give the same answer."""
    from booking_app.services.text_search import folded

    with world.read() as s:
        for text in CORPUS:
            got = s.scalar(select(folded(literal(text))))
            if world.dialect == "postgresql" and "ß" in text:
                continue  # casefold's ß → ss is Python's alone; a desk never types it
            assert got == search_key(text), text


def test_like_patterns_escape_the_wildcards():
    assert like_escape("50%_a\\b") == "50\\%\\_a\\\\b"
    assert contains_pattern("%") == "%\\%%"


@pytest.fixture
def bookings(world: World):
    """A registered group with a hiragana reading, an unregistered group in katakana, a person in kanji."""
    gid = world.make_group("しものせき読書会")
    with world.write() as s:
        g = s.get(MemberGroup, gid)
        g.kana = "しものせきどくしょかい"
    member = world.book(at(DAY, 9), at(DAY, 10), group_id=gid)
    group = world.book(at(DAY, 10), at(DAY, 11), booker_kind="group", booker_name="シモノセキ子ども会",
                       purpose="ﾊﾛｳｨﾝ準備")
    person = world.book(at(DAY, 11), at(DAY, 12), booker_name="山田花子", purpose="割引50%の説明会",
                        contact_phone="083-224-5678")
    other = world.book(at(DAY, 12), at(DAY, 13), booker_name="門司太郎", purpose="5000_会計")
    return {"member": member.id, "group": group.id, "person": person.id, "other": other.id}


def found(world: World, text: str) -> set[int]:
    with world.read() as s:
        return {v.id for v in svc.search_bookings(s, text)}


@pytest.mark.parametrize("typed", TYPED)
def test_booking_search_finds_every_kana_spelling(world: World, bookings, typed):
    assert found(world, typed) == {bookings["member"], bookings["group"]}


def test_booking_search_folds_purpose_phone_and_width(world: World, bookings):
    assert found(world, "はろうぃん") == {bookings["group"]}  # half-width katakana stored, hiragana typed
    assert found(world, "０８３２２４") == {bookings["person"]}  # digits of the phone, any width
    assert found(world, "やまだ") == set()  # a kanji name has no reading to fold to
    assert found(world, "山田") == {bookings["person"]}


def test_percent_and_underscore_are_plain_characters_in_booking_search(world: World, bookings):
    assert found(world, "%") == {bookings["person"]}
    assert found(world, "50%") == {bookings["person"]}
    assert found(world, "_") == {bookings["other"]}
    assert found(world, "0_会") == {bookings["other"]}


def test_group_search_keeps_wildcards_literal(world: World):
    world.make_group("100%ボランティア")
    world.make_group("ふくふく_クラブ")
    world.make_group("関門の会")
    with world.read() as s:
        names = lambda text: {g.name for g in group_svc.search_groups(s, text)}  # noqa: E731
        assert names("%") == {"100%ボランティア"}
        assert names("ｼﾓﾉｾｷ") == set()
        assert names("ﾎﾞﾗﾝﾃｨｱ") == {"100%ボランティア"}
        assert names("_") == set()  # dropped like a space by the folding: no wildcard, no group lists
        assert names("ふくふく_くらぶ") == {"ふくふく_クラブ"}


def test_receipt_search_percent_is_literal_and_kana_is_folded(world: World):
    with world.write() as s:
        ids = []
        for payer, purpose in (("シモノセキ子ども会", "コピー代として"), ("山田花子", "会議室50%割引分として"),
                               ("門司太郎", "印刷代として")):
            c = pay.add_item_charge(s, world.desk, "コピー 白黒", 2, payer_name=payer, now=NOW)
            ids.append(pay.take_payment(s, world.desk, [c.id], payer_name=payer, purpose=purpose, method="cash",
                                        now=NOW, terminal="受付1").receipt_no)
    with world.read() as s:
        payers = lambda text: {r.payer_name for r in pay.list_receipts(s, text=text)}  # noqa: E731
        assert payers("%") == {"山田花子"}
        assert payers("しものせき") == payers("ｼﾓﾉｾｷ") == {"シモノセキ子ども会"}
        assert payers(ids[2]) == {"門司太郎"}
        assert payers("_") == set()


def test_audit_search_percent_is_literal_and_kana_is_folded(world: World, bookings):
    with world.read() as s:
        def hits(text):
            return {r.entity_id for r in query_audit(s, AuditFilter(text=text, entity="booking")).rows}
        assert hits("%") == set()  # no summary holds a %
        number = f"{bookings['group']:07d}".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        assert hits(f"予約{number}") == {bookings["group"]}  # typed with full-width digits
        assert hits("予約") >= set(bookings.values())


def test_insurance_search_percent_is_literal_and_kana_is_folded(world: World):
    from booking_app.services import insurance as ins
    from booking_app.services.insurance import PersonInput

    with world.write() as s:
        plan = {p.code: p.id for p in ins.plans_for_year(s, 2026, actor=world.manager)}["EVT-A1"]
    made = {}
    for holder, event in (("シモノセキ海峡フェス準備会", "海岸清掃"), ("門司港の会", "100%リサイクル市")):
        with world.write() as s:
            made[holder] = ins.enrol_event(
                s, world.desk, plan_id=plan, holder_name=holder, event_name=event, event_place="みもすそ川公園",
                event_start=DAY, event_end=DAY, expected_participants=30,
                people=[PersonInput("山田 花子", "ヤマダ ハナコ")], applied_on=NOW.date(), now=NOW).id
    with world.read() as s:
        def hits(text):
            return {v.id for v in ins.list_enrolments(s, text=text)}
        assert hits("%") == {made["門司港の会"]}
        assert hits("ｼﾓﾉｾｷ") == hits("しものせき") == {made["シモノセキ海峡フェス準備会"]}
        assert hits("やまだ はなこ") == set(made.values())  # the roster's reading
        assert hits("_") == set()
