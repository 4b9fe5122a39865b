"""Demo data (デモデータ): a believable fiscal year of the centre, for trying the app and for screenshots.

About 300 registered groups and, on every open day from 1 April of the current fiscal year to the
end of the booking window, about 30 bookings: weekly and monthly series made through the series
service (as the desk would, a quarter at a time within the booking window), and single bookings
written in bulk. The bulk rows obey the same rules as the services: open days and hours only, no
room booked twice, equipment never beyond stock; a per room and per day occupancy kept in memory
replaces one conflict query per row, which would take minutes instead of seconds.

Past bookings are settled as the desk settles them: most checked out with the actual head count,
some cancelled with a reason, a few no-shows. Coming weeks have some 仮予約 holds.

Money, as the counter 「カウンター」 handled it: general users' bookings (not registered groups) are
charged as ``services.fees.sync_booking_charges`` would charge them (in bulk, same rows); most past
ones were paid on the day (cash mostly, some card and QR), a fifth in advance when booked, through
``services.payments.take_payment`` in time order, so receipts run 2026-000001 … by date. Printing-
machine uses and copies are logged and paid, two receipts were voided with a reason and issued
again, some no-show fees waived, coming bookings mostly still owe their fee, and every past day's
cash-up is closed but the last two. The same seed always gives the same data.
"""

from __future__ import annotations

import random
import time as clock
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import hours
from booking_app.domain.booking_rules import BLOCKING_STATUSES, BookingStatus, overlaps, peak_in_use
from booking_app.domain.errors import DomainError
from booking_app.domain.groups import ACTIVITY_FIELDS, MACHIZUKURI_DISTRICTS
from booking_app.domain.recurrence import RecurrenceRule
from booking_app.services.booking_plan import charged_lines, fee_lines, quote_after, quote_summary
from booking_app.services.bookings import BookingInput
from booking_app.services.centre import get_profile, list_staff
from booking_app.services.common import Actor, audit
from booking_app.domain.groups import effective_status
from booking_app.services.fees import DEAD_STATUSES, get_fees
from booking_app.services.payments import (
    add_item_charge,
    cancel_charge,
    close_day,
    log_printing,
    take_payment,
    void_receipt,
)
from booking_app.services.series import create_series
from booking_app.store.models import (
    Booking,
    BookingEquipment,
    Charge,
    DayClosing,
    EquipmentType,
    MemberGroup,
    Room,
    WalkInTally,
)

BLOCKING = {s.value for s in BLOCKING_STATUSES}
# The demo centre's receipt issuer (made up): the operator, a registration number whose check digit is
# right (domain.fees.valid_invoice_number) and a phone number of the 083 area with an unused exchange.
DEMO_OPERATOR = "特定非営利活動法人ふくふく市民活動ネット"
DEMO_INVOICE_NUMBER = "T9234567890123"
DEMO_PHONE = "083-000-0000"

# --------------------------------------------------------------------------- name material

DISTRICT_KANA = {
    "本庁": "ほんちょう", "彦島": "ひこしま", "長府": "ちょうふ", "王司": "おうじ", "清末": "きよすえ",
    "小月": "おづき", "王喜": "おうぎ", "吉田": "よしだ", "勝山": "かつやま", "内日": "うつい",
    "川中": "かわなか", "安岡": "やすおか", "吉見": "よしみ", "菊川": "きくがわ", "豊田": "とよた",
    "豊浦": "とようら", "豊北": "ほうほく",
}

TOWNS = (
    ("東大和町", "ひがしやまとまち"), ("彦島江の浦町", "ひこしまえのうらちょう"), ("彦島西山町", "ひこしまにしやまちょう"),
    ("長府松小田", "ちょうふまつおだ"), ("長府川端", "ちょうふかわばた"), ("伊崎町", "いさきちょう"),
    ("竹崎町", "たけざきちょう"), ("山の田", "やまのた"), ("秋根", "あきね"), ("一の宮", "いちのみや"),
    ("綾羅木", "あやらぎ"), ("安岡町", "やすおかまち"), ("川中豊町", "かわなかゆたかまち"), ("新地町", "しんちちょう"),
    ("丸山町", "まるやまちょう"), ("上田中町", "かみたなかまち"), ("幡生", "はたぶ"), ("武久町", "たけひさちょう"),
    ("椋野町", "むくのちょう"), ("後田町", "うしろだちょう"), ("藤附町", "ふじつきちょう"), ("小月本町", "おづきほんまち"),
    ("王喜本町", "おうぎほんまち"), ("清末中町", "きよすえなかまち"), ("菊川町田部", "きくがわちょうたべ"),
    ("豊田町西市", "とよたちょうにしいち"), ("豊浦町川棚", "とようらちょうかわたな"), ("豊北町滝部", "ほうほくちょうたきべ"),
    ("吉見下", "よしみしも"), ("内日上", "うついかみ"), ("熊野町", "くまのちょう"), ("稗田町", "ひえだちょう"),
    ("垢田町", "あかだちょう"), ("富任町", "とみとうちょう"), ("勝谷", "かつや"), ("前田", "まえだ"),
    ("みもすそ川町", "みもすそがわちょう"), ("壇ノ浦町", "だんのうらちょう"), ("唐戸町", "からとちょう"),
    ("赤間町", "あかまちょう"), ("観音崎町", "かんのんざきちょう"), ("阿弥陀寺町", "あみだじちょう"),
    ("岬之町", "みさきのちょう"), ("大坪本町", "おおつぼほんまち"), ("形山町", "かたちやままち"), ("向洋町", "こうようちょう"),
    ("羽山町", "はやまちょう"), ("上新地町", "かみしんちちょう"), ("彦島塩浜町", "ひこしましおはまちょう"),
    ("彦島老町", "ひこしまおいまち"), ("彦島迫町", "ひこしまさこまち"), ("長府侍町", "ちょうふさむらいまち"),
    ("長府外浦町", "ちょうふとのうらちょう"), ("生野町", "いくのちょう"), ("宮田町", "みやたちょう"), ("伊倉", "いくら"),
    ("楠乃", "くすの"), ("貴船町", "きぶねちょう"), ("筋ヶ浜町", "すじがはまちょう"), ("今浦町", "いまうらちょう"),
)
COMMUNITY_FORMS = (("自治会", "じちかい", 6), ("町内会", "ちょうないかい", 2), ("連合自治会", "れんごうじちかい", 1))

PLACES = (
    ("下関", "しものせき"), ("関門", "かんもん"), ("海峡", "かいきょう"), ("ふくふく", "ふくふく"), ("火の山", "ひのやま"),
    ("響", "ひびき"), ("唐戸", "からと"), ("長府", "ちょうふ"), ("彦島", "ひこしま"), ("巌流", "がんりゅう"),
    ("しものせき", "しものせき"), ("壇之浦", "だんのうら"), ("赤間", "あかま"), ("みもすそ", "みもすそ"),
    ("角島", "つのしま"), ("川棚", "かわたな"), ("豊田", "とよた"), ("菊川", "きくがわ"), ("吉見", "よしみ"),
    ("小月", "おづき"), ("安岡", "やすおか"), ("綾羅木", "あやらぎ"), ("海響", "かいきょう"), ("ひこしま", "ひこしま"),
)
ACTIVITIES = (
    ("手話", "しゅわ", "保健・医療・福祉"), ("朗読", "ろうどく", "保健・医療・福祉"), ("点訳", "てんやく", "保健・医療・福祉"),
    ("子育て支援", "こそだてしえん", "子どもの健全育成"), ("環境保全", "かんきょうほぜん", "環境保全"),
    ("防災", "ぼうさい", "災害救援"), ("国際交流", "こくさいこうりゅう", "国際協力"),
    ("日本語支援", "にほんごしえん", "国際協力"), ("囲碁", "いご", "学術・文化・芸術・スポーツ"),
    ("合唱", "がっしょう", "学術・文化・芸術・スポーツ"), ("読み聞かせ", "よみきかせ", "子どもの健全育成"),
    ("健康体操", "けんこうたいそう", "保健・医療・福祉"), ("郷土史", "きょうどし", "社会教育"),
    ("子ども食堂", "こどもしょくどう", "子どもの健全育成"), ("見守り", "みまもり", "保健・医療・福祉"),
    ("障がい者支援", "しょうがいしゃしえん", "保健・医療・福祉"), ("フードバンク", "ふーどばんく", "保健・医療・福祉"),
    ("里山保全", "さとやまほぜん", "環境保全"), ("海岸清掃", "かいがんせいそう", "環境保全"),
    ("観光ガイド", "かんこうがいど", "観光"), ("俳句", "はいく", "学術・文化・芸術・スポーツ"),
    ("パソコン", "ぱそこん", "情報化社会"), ("傾聴", "けいちょう", "保健・医療・福祉"),
    ("介護者支援", "かいごしゃしえん", "保健・医療・福祉"), ("男女共同参画", "だんじょきょうどうさんかく", "男女共同参画"),
    ("多文化共生", "たぶんかきょうせい", "国際協力"), ("不登校支援", "ふとうこうしえん", "子どもの健全育成"),
    ("動物愛護", "どうぶつあいご", "環境保全"), ("ウォーキング", "うぉーきんぐ", "学術・文化・芸術・スポーツ"),
    ("絵本", "えほん", "社会教育"), ("おもちゃ病院", "おもちゃびょういん", "子どもの健全育成"),
    ("生涯学習", "しょうがいがくしゅう", "社会教育"), ("防犯", "ぼうはん", "地域安全"),
    ("まちなか再生", "まちなかさいせい", "まちづくり"), ("ひきこもり支援", "ひきこもりしえん", "保健・医療・福祉"),
    ("災害ボランティア", "さいがいぼらんてぃあ", "災害救援"), ("花いっぱい", "はないっぱい", "まちづくり"),
    ("ふるさと応援", "ふるさとおうえん", "まちづくり"), ("ボッチャ", "ぼっちゃ", "学術・文化・芸術・スポーツ"),
    ("フラダンス", "ふらだんす", "学術・文化・芸術・スポーツ"), ("消費生活", "しょうひせいかつ", "消費者保護"),
)
# (name pattern, kana pattern, weight); the legal form NPO法人 is left out of the reading, as registers do.
PURPOSE_FORMS = (
    ("{p}{a}の会", "{pk}{ak}のかい", 5), ("{p}{a}サークル", "{pk}{ak}さーくる", 3),
    ("NPO法人 {p}{a}ネット", "{pk}{ak}ねっと", 2), ("{p}{a}クラブ", "{pk}{ak}くらぶ", 2),
    ("{p}{a}研究会", "{pk}{ak}けんきゅうかい", 1), ("{p}{a}グループ", "{pk}{ak}ぐるーぷ", 2),
    ("NPO法人 {a}サポート{p}", "{ak}さぽーと{pk}", 1), ("{a}ボランティア{p}", "{ak}ぼらんてぃあ{pk}", 2),
    ("{p}{a}ネットワーク", "{pk}{ak}ねっとわーく", 1),
)
SURNAMES = ("田中", "山本", "中村", "藤井", "石井", "吉田", "林", "森", "岡村", "河野", "西村", "原田", "松本", "山田",
            "村上", "末永", "古谷", "福田", "広中", "江本", "国弘", "三浦", "岡本", "藤本", "上田", "清水", "渡辺")
GIVEN = ("和子", "幸子", "洋子", "恵美", "由美", "真理子", "博", "誠", "修", "浩二", "健一", "正樹", "美紀", "隆",
         "明美", "弘", "直樹", "久美子", "哲也", "節子", "翔太", "さくら")
UNREGISTERED = ("下関西高校同窓会", "彦島小PTA有志", "関門マラソン実行委員会", "長府まつり実行委員会", "市民講座受講生の会",
                "海峡フェス準備会", "唐戸朝市出店者会", "地域福祉計画ワークショップ", "子育てママの集い", "下関シニア大学OB会")
PURPOSES = ("定例会", "役員会", "総会", "講座", "研修会", "練習", "打合せ", "作業", "交流会", "勉強会", "会議", "発表会の準備")
PERSON_PURPOSES = ("打合せ", "自主学習", "練習", "資料作成")
PRINT_PURPOSES = ("会報の印刷", "チラシの印刷", "総会資料の印刷", "ラミネート加工", "案内状の印刷")
CANCEL_REASONS = ("団体の都合", "雨天のため中止", "講師の都合", "参加者が集まらなかったため", "日程変更のため",
                  "台風接近のため中止", "役員の体調不良", "行事と重なったため")

# How the centre is used [P], tuned to the city's figures: 29,000 users a year is ~81 a day over
# ~359 open days, counted from room users (head count at check-out), walk-ins at the counter and the
# centre's own events. So a room is booked for about a third to a half of its periods, group meetings
# are 5–15 people, the hall is now and then full, and some 18 people a day come in without a booking.
ROOM_USE = {"大会議室": 0.4, "小会議室1": 0.46, "小会議室2": 0.42, "作業室": 0.28, "多目的交流ホール": 0.28}
ROOM_USE_DEFAULT = 0.3
# Walk-ins per open day by category (WALKIN_CATEGORIES), on a weekday; Sundays and holidays see fewer
# consultations and more visitors to the 交流スペース.
WALKINS_PER_DAY = {"交流スペース": 8.0, "情報コーナー": 4.0, "相談（来所）": 1.2, "相談（電話）": 1.6, "相談（メール）": 0.7,
                   "印刷機": 1.0, "見学": 0.2, "その他": 0.8}
# The centre's own events (講座・研修・交流会): (name, kind, room, attendance range).
CENTRE_EVENTS = (
    ("市民活動入門講座", "講座", "大会議室", (12, 30)), ("NPO会計講座", "講座", "大会議室", (10, 28)),
    ("SNS・チラシ発信講座", "講座", "大会議室", (12, 32)), ("助成金申請の書き方講座", "講座", "大会議室", (10, 30)),
    ("団体運営研修（役員向け）", "研修", "大会議室", (8, 24)), ("ボランティアコーディネーター研修", "研修", "大会議室", (10, 26)),
    ("市民活動団体交流会", "交流会", "多目的交流ホール", (25, 55)),
    ("まちづくり協議会 情報交換会", "交流会", "多目的交流ホール", (20, 45)),
)
FESTA = ("ふくふくフェスタ（市民活動見本市）", "その他", 10)  # once a year, the whole centre, in October

# Recurring series: (kind, weekday 0=Mon, nth, interval, period, room, purpose, equipment)
SERIES = (
    ("weekly", 2, 0, 1, "午後", "大会議室", "定例会", {"ホワイトボード": 1}),
    ("weekly", 0, 0, 1, "夜間", "多目的交流ホール", "合唱の練習", {}),
    ("weekly", 1, 0, 1, "午前", "小会議室1", "日本語教室", {"ホワイトボード": 1}),
    ("weekly", 3, 0, 1, "午後", "作業室", "点訳作業", {}),
    ("weekly", 4, 0, 1, "夜間", "多目的交流ホール", "ダンスの練習", {"ワイヤレスマイク": 1}),
    ("weekly", 5, 0, 1, "午前", "小会議室2", "読み聞かせの練習", {}),
    ("weekly", 2, 0, 1, "夜間", "小会議室1", "手話講習", {}),
    ("weekly", 5, 0, 2, "午後", "大会議室", "子ども食堂の打合せ", {}),
    ("monthly_nth", 1, 2, 1, "夜間", "小会議室2", "役員会", {}),
    ("monthly_nth", 0, 1, 1, "午後", "大会議室", "理事会", {"プロジェクター": 1, "スクリーン": 1}),
    ("monthly_nth", 3, 3, 1, "午前", "小会議室1", "定例会", {}),
    ("monthly_nth", 4, 4, 1, "夜間", "小会議室1", "役員会", {}),
    ("monthly_nth", 5, -1, 1, "午後", "多目的交流ホール", "交流会", {"ワイヤレスマイク": 1}),
    ("monthly_nth", 6, 1, 1, "午前", "作業室", "会報の発送作業", {}),
    ("monthly_nth", 2, 2, 1, "午前", "大会議室", "まちづくり協議会 定例会", {"プロジェクター": 1}),
    ("monthly_nth", 1, 3, 1, "午後", "小会議室2", "理事会", {}),
)
SERIES_KEYWORDS = {"合唱の練習": "合唱", "日本語教室": "日本語", "点訳作業": "点訳", "ダンスの練習": "フラダンス",
                   "読み聞かせの練習": "読み聞かせ", "手話講習": "手話", "子ども食堂の打合せ": "子ども食堂"}


@dataclass
class _Occupancy:
    """Live bookings per room and day, and equipment use per type and day, kept in memory."""

    rooms: dict[tuple[int, date], list[tuple[datetime, datetime]]]
    equipment: dict[tuple[int, date], list[tuple[datetime, datetime, int]]]

    def room_free(self, room_id: int, start: datetime, end: datetime) -> bool:
        return not any(overlaps(start, end, s, e) for s, e in self.rooms[(room_id, start.date())])

    def equipment_free(self, et: EquipmentType, qty: int, start: datetime, end: datetime) -> bool:
        if et.stock is None:
            return True
        return peak_in_use(self.equipment[(et.id, start.date())], start, end) + qty <= et.stock

    def take(self, room_id: int | None, start: datetime, end: datetime, equipment: dict[int, int]) -> None:
        if room_id is not None:
            self.rooms[(room_id, start.date())].append((start, end))
        for tid, qty in equipment.items():
            self.equipment[(tid, start.date())].append((start, end, qty))


def _load_occupancy(session: Session, first: date, last: date) -> _Occupancy:
    occ = _Occupancy(defaultdict(list), defaultdict(list))
    lo, hi = datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())
    q = select(Booking).where(Booking.start_at >= lo, Booking.start_at < hi, Booking.status.in_(BLOCKING))
    for b in session.scalars(q):
        occ.take(b.room_id, b.start_at, b.end_at, {e.equipment_type_id: e.quantity for e in b.equipment})
    return occ


def _attendees(rng: random.Random, room: Room) -> int:
    """Who a group books a room for: meetings of 5–15, a handful in the work room, the hall now and then full."""
    cap = room.capacity
    if cap >= 50:
        n = rng.randint(40, cap) if rng.random() < 0.1 else round(rng.triangular(8, 35, 14))
    elif cap >= 25:
        n = rng.randint(20, cap) if rng.random() < 0.08 else round(rng.triangular(5, 20, 9))
    elif cap >= 10:
        n = round(rng.triangular(3, cap, 6))
    else:
        n = round(rng.triangular(2, cap, 3))
    return max(1, min(cap, n))


def _room_slots(rng: random.Random, periods, day: date, rooms):
    """(room, start, end) a day's single bookings ask for: about ROOM_USE of each room's periods, a
    whole period or part of one (a meeting of 1–3 hours), now and then two short ones in a period."""
    for room in rooms:
        use = ROOM_USE.get(room.name, ROOM_USE_DEFAULT)
        for p in periods:
            if rng.random() >= use:
                continue
            p_start, p_end = datetime.combine(day, p.start), datetime.combine(day, p.end)
            if rng.random() < 0.55:
                yield room, p_start, p_end
                continue
            start = p_start + timedelta(minutes=rng.choice((0, 0, 30, 60)))
            end = min(p_end, start + timedelta(minutes=rng.choice((60, 90, 120, 120, 150, 180))))
            if end > start:
                yield room, start, end
            if p_end - end >= timedelta(minutes=90) and rng.random() < 0.3:
                yield room, end + timedelta(minutes=30), p_end


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson count (Knuth's method; the means here are small)."""
    if lam <= 0:
        return 0
    limit, k, prod = pow(2.718281828459045, -lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def _equipment_only(rng: random.Random, open_t: datetime, close_t: datetime, equipment: list[EquipmentType],
                    order: list[MemberGroup], weights: list[float], occ: _Occupancy, density: float) -> list[Booking]:
    """A day's bookings of the printing machine and its kin, without a room (1–3 people each)."""
    out = []
    for _ in range(rng.randint(2, 6)):
        if rng.random() > density or not equipment:
            continue
        et = rng.choice(equipment)
        start = open_t + timedelta(minutes=30 * rng.randint(0, int((close_t - open_t).seconds / 1800) - 2))
        end = start + timedelta(minutes=rng.choice((30, 60, 60, 90)))
        if end <= close_t and occ.equipment_free(et, 1, start, end):
            g = rng.choices(order, weights)[0]
            b = Booking(room_id=None, booker_kind="member", group_id=g.id, booker_name=g.name,
                        contact_phone=g.phone, purpose=rng.choice(PRINT_PURPOSES), attendees=rng.randint(1, 3),
                        start_at=start, end_at=end)
            b.equipment = [BookingEquipment(equipment_type_id=et.id, quantity=1)]
            occ.take(None, start, end, {et.id: 1})
            out.append(b)
    return out


def _seed_walkins(session: Session, rng: random.Random, *, profile, first: date, upto: date, staff_id: int,
                  categories: tuple[str, ...]) -> int:
    """Walk-in tallies (来館者カウント) of every open day in [first, upto), as the counter clicks them:
    mostly +1, now and then +2/+3 for people who came together, a rare mis-click undone at once.

    Written in one bulk INSERT (~5,000 rows a year) without the audit line ``stats.add_tally`` writes
    per click: a click each through the service would cost seconds. Returns the people counted.
    """
    rows: list[dict] = []
    counted = 0
    d = first
    while d < upto:
        span = hours.opening_hours(profile, d)
        if span is None:
            d += timedelta(days=1)
            continue
        sunday = jcal.day_kind(d) == "sunday_holiday"
        opened = datetime.combine(d, span[0])
        minutes = int((datetime.combine(d, span[1]) - opened).total_seconds() // 60)
        for cat in categories:
            lam = WALKINS_PER_DAY.get(cat, 0.0)
            if sunday:  # no consultations to speak of, more people just dropping in
                lam *= 1.3 if cat in ("交流スペース", "情報コーナー", "見学") else 0.3
            n = _poisson(rng, lam)
            while n > 0:
                c = 1 if n == 1 or rng.random() < 0.8 else min(n, rng.randint(2, 3))
                at = opened + timedelta(minutes=rng.randrange(minutes), seconds=rng.randrange(60))
                rows.append({"at": at, "category": cat, "count": c, "staff_id": staff_id, "terminal": TERMINAL,
                             "undone_at": None, "undone_by": None})
                counted += c
                n -= c
                if rng.random() < 0.01:  # clicked twice by mistake, undone straight away
                    rows.append({"at": at + timedelta(seconds=5), "category": cat, "count": 1, "staff_id": staff_id,
                                 "terminal": TERMINAL, "undone_at": at + timedelta(seconds=20),
                                 "undone_by": staff_id})
        d += timedelta(days=1)
    if rows:
        session.execute(insert(WalkInTally), rows)
    return counted


def _seed_events(session: Session, rng: random.Random, desk: Actor, *, profile, first: date, last: date,
                 today: date, rooms: dict[str, Room], occ: _Occupancy) -> tuple[int, int]:
    """The centre's own events of [first, last] through ``stats.save_event``: a course or training in
    the 大会議室 every month, a 交流会 in the hall every other month, the October festa. Each is
    registered some weeks ahead and, once held, its attendance is entered that evening; its room is
    kept free of bookings. Returns (events, attendance counted)."""
    from booking_app.services.stats import save_event

    made = attended = 0
    month = date(first.year, first.month, 1)
    i = 0
    while month <= last:
        saturdays = [month + timedelta(days=k) for k in range(31)
                     if (month + timedelta(days=k)).month == month.month
                     and (month + timedelta(days=k)).weekday() == 5]
        wanted = [(CENTRE_EVENTS[i % 6], saturdays[1:3])]
        if month.month % 2 == 0:
            wanted.append((CENTRE_EVENTS[6 + (month.month // 2) % 2], saturdays[3:] or saturdays[-1:]))
        if month.month == FESTA[2]:
            wanted.append(((FESTA[0], FESTA[1], None, (140, 220)), saturdays[2:3] or saturdays[-1:]))
        i += 1
        for (name, kind, room_name, (lo, hi)), days in wanted:
            room = rooms.get(room_name) if room_name else None
            for day in days:
                periods = {p.name: p for p in hours.periods_for(profile, day)}
                if not first <= day <= last or "午後" not in periods:
                    continue
                start = datetime.combine(day, periods["午後"].start)
                end = datetime.combine(day, periods["午後"].end)
                if room is not None and not occ.room_free(room.id, start, end):
                    continue
                registered = datetime.combine(day - timedelta(days=rng.randint(35, 50)), time(10, rng.choice((0, 30))))
                if registered.date() > today:
                    break  # not planned yet
                if room is not None:
                    occ.take(room.id, start, end, {})
                view = save_event(session, desk, name=name, kind=kind, day=day, room_id=room.id if room else None,
                                  note="センター主催", now=registered)
                made += 1
                if day < today:
                    n = rng.randint(lo, hi)
                    save_event(session, desk, event_id=view.id, name=name, kind=kind, day=day,
                               room_id=view.room_id, attendance=n, note="センター主催",
                               now=end + timedelta(minutes=30))
                    attended += n
                break
        month = _add_months(month, 1)
    return made, attended


def _seed_previous_year(session: Session, rng: random.Random, *, profile, fiscal_year: int,
                        rooms: dict[str, Room], types: dict[str, EquipmentType], groups: list[MemberGroup],
                        desk: Actor, today: date) -> dict:
    """The previous fiscal year as it ended: registered groups' bookings, all settled (checked out
    with a head count, some cancelled, a few no-shows), walk-in tallies and the centre's events, so
    the dashboard compares each month with the same month a year earlier.

    Registered groups only (their rooms are free), so there is no money to replay: the year's
    receipts, charges and cash-ups belong to its own books. Bookings are written in bulk like this
    year's singles; there is no series, nothing was booked over.
    """
    first, last = jcal.fiscal_year_range(fiscal_year)
    occ = _Occupancy(defaultdict(list), defaultdict(list))
    events, attended = _seed_events(session, rng, desk, profile=profile, first=first, last=last, today=today,
                                    rooms=rooms, occ=occ)
    order = [g for g in groups if g.registered_on < first and g.status in ("active", "expired")]
    rng.shuffle(order)
    weights = [1.0 / (i + 3) ** 0.8 for i in range(len(order))]
    equipment_only = [types[n] for n in ("印刷機", "紙折り機", "丁合機", "ラミネーター", "裁断機") if n in types]
    rows: list[Booking] = []
    day = first
    while day <= last:
        periods = hours.periods_for(profile, day)
        span = hours.opening_hours(profile, day)
        if periods and span is not None:
            for room, start, end in _room_slots(rng, periods, day, rooms.values()):
                if occ.room_free(room.id, start, end):
                    g = rng.choices(order, weights)[0]
                    occ.take(room.id, start, end, {})
                    rows.append(Booking(room_id=room.id, booker_kind="member", group_id=g.id, booker_name=g.name,
                                        contact_phone=g.phone, purpose=rng.choice(PURPOSES),
                                        attendees=_attendees(rng, room), start_at=start, end_at=end))
            rows += _equipment_only(rng, datetime.combine(day, span[0]), datetime.combine(day, span[1]),
                                    equipment_only, order, weights, occ, 1.0)
        day += timedelta(days=1)
    users = 0
    for b in rows:
        made = b.start_at.date() - timedelta(days=rng.randint(3, 60))
        b.created_at = datetime.combine(max(made, first - timedelta(days=60)),
                                        time(rng.randint(9, 20), rng.choice((0, 15, 30, 45))))
        b.created_by = b.updated_by = desk.id
        r = rng.random()
        if r < 0.05:
            b.status, b.status_reason = BookingStatus.CANCELLED.value, rng.choice(CANCEL_REASONS)
            b.updated_at = max(b.created_at, b.start_at - timedelta(days=rng.randint(1, 10)))
        elif r < 0.062:
            b.status, b.status_reason = BookingStatus.NO_SHOW.value, "連絡なく来館されなかった"
            b.updated_at = b.start_at + timedelta(minutes=30)
        else:
            b.status = BookingStatus.COMPLETED.value
            b.actual_users = max(1, b.attendees + rng.randint(-3, 2))
            b.updated_at = b.end_at + timedelta(minutes=rng.choice((0, 5, 10)))
            users += b.actual_users
    session.add_all(rows)
    walkins = _seed_walkins(session, rng, profile=profile, first=first, upto=last + timedelta(days=1),
                            staff_id=desk.id, categories=tuple(WALKINS_PER_DAY))
    return {"previous_year_bookings": len(rows), "previous_year_users": users + walkins + attended,
            "previous_year_events": events}


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"


def _phone(rng: random.Random) -> str:
    return f"083-{rng.randint(200, 299)}-{rng.randint(0, 9999):04d}"


def _make_groups(session: Session, rng: random.Random, *, now: datetime, staff_id: int, count: int,
                 fiscal_end: date, fiscal_start: date) -> list[MemberGroup]:
    """About ``count`` groups: the 17 まちづくり協議会, 自治会 and their federations, and purpose groups."""
    taken = {n for (n,) in session.execute(select(MemberGroup.reg_no).where(MemberGroup.reg_no.is_not(None)))}
    next_no = max((int(n) for n in taken if n and n.isdigit()), default=0) + 1
    specs: list[tuple[str, str, str, bool, str, list[str]]] = []  # name, kana, type, machizukuri, district, fields
    for d in MACHIZUKURI_DISTRICTS:
        k = DISTRICT_KANA.get(d, "")
        specs.append((f"{d}地区まちづくり協議会", f"{k}ちくまちづくりきょうぎかい", "community", True, d, ["まちづくり"]))
    for d in MACHIZUKURI_DISTRICTS:
        k = DISTRICT_KANA.get(d, "")
        specs.append((f"{d}地区自治会連合会", f"{k}ちくじちかいれんごうかい", "community", False, d, ["まちづくり"]))
    forms = [f for f in COMMUNITY_FORMS for _ in range(f[2])]
    for town, tk in TOWNS:
        form, fk, _ = rng.choice(forms)
        specs.append((f"{town}{form}", f"{tk}{fk}", "community", False, "", ["まちづくり", "地域安全"][: rng.randint(1, 2)]))
    names = {s[0] for s in specs}
    pforms = [f for f in PURPOSE_FORMS for _ in range(f[2])]
    attempts = 0
    while len(specs) < count and attempts < count * 50:
        attempts += 1
        (p, pk), (a, ak, fld), (nf, kf, _) = rng.choice(PLACES), rng.choice(ACTIVITIES), rng.choice(pforms)
        name = nf.format(p=p, a=a)
        if name in names or ("ボランティア" in a and "ボランティア" in nf):  # not 「…ボランティアボランティア…」
            continue
        names.add(name)
        extra = [f for f in rng.sample(ACTIVITY_FIELDS, 2) if f != fld][: rng.randint(0, 1)]
        specs.append((name, kf.format(pk=pk, ak=ak), "purpose", False, "", [fld, *extra]))
    # Registration numbers follow the order groups registered, not their kind.
    rng.shuffle(specs)
    groups = []
    for name, kana, gtype, machi, district, fields in specs[:count]:
        r = rng.random()
        status, valid_until, reason = "active", fiscal_end, ""
        if r < 0.07:
            status, valid_until = "expired", fiscal_start - timedelta(days=1)
        elif r < 0.09:
            status, reason = "suspended", rng.choice(("活動報告書が未提出のため", "営利目的の利用が疑われ確認中のため"))
        while f"{next_no:04d}" in taken:
            next_no += 1
        reg_no = f"{next_no:04d}"
        next_no += 1
        rep = _person(rng)
        groups.append(MemberGroup(
            reg_no=reg_no, name=name, kana=kana, group_type=gtype, is_machizukuri=machi, district=district,
            activity_fields=fields, status=status, status_reason=reason,
            registered_on=date(rng.randint(2004, 2025), rng.choice((4, 4, 4, 5, 6, 9, 10)), rng.randint(1, 28)),
            valid_until=valid_until, representative=rep, phone=_phone(rng), contact_name=rep,
            members=rng.randint(5, 120) if gtype == "purpose" else rng.randint(30, 400),
            declarations={"not_religious": True, "not_political": True, "not_electoral": True,
                          "not_for_profit": True, "not_gang": True},
            note="", created_at=now, created_by=staff_id,
        ))
    session.add_all(groups)
    session.flush()
    return groups


def _add_months(d: date, months: int) -> date:
    """The 1st of the month ``months`` after d's month."""
    y, m0 = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m0 + 1, 1)


def _segments(profile, first: date, last: date, today: date) -> list[tuple[date, date, datetime]]:
    """Quarters of the year as (start, end, booked at): each quarter is booked on the 1st of the month
    before it, which the member window allows, or today if that is still to come (the quarter then
    ends where today's window ends)."""
    out = []
    for q in range(4):
        seg_start = _add_months(first, 3 * q)
        seg_end = _add_months(first, 3 * q + 3) - timedelta(days=1)
        booked = min(_add_months(seg_start, -1), today)
        seg_end = min(seg_end, last, hours.window_end(profile, booked, True))
        if seg_start <= seg_end:
            out.append((seg_start, seg_end, datetime.combine(booked, time(10, 0))))
    return out


def _give_demo_passwords(session: Session, now: datetime) -> None:
    """Every staff member signs in with DEMO_PASSWORD, so `make demo` can log in (issue 7)."""
    from booking_app.services.auth import DEMO_PASSWORD, hash_password
    from booking_app.store.models import Staff

    digest = hash_password(DEMO_PASSWORD)  # one hash for all: each costs ~0.6 s at the desk's scrypt cost
    for s in session.scalars(select(Staff).where(Staff.active.is_(True))):
        s.password_hash = digest
        s.password_changed_at = now
        s.failed_logins, s.locked_until = 0, None


def _complete_the_issuer(session: Session, manager: Actor, *, now: datetime) -> None:
    """The demo centre as a set-up centre is: its 指定管理者, invoice registration number and phone, so
    receipts and slips show what a real desk's do (issue 13, items 9 and 10). Only what is still blank is
    filled: a centre's own values stay."""
    from dataclasses import replace

    from booking_app.services.centre import save_profile
    from booking_app.services.fees import save_fees

    profile = get_profile(session)
    if not profile.operator or not profile.phone:
        save_profile(session, manager, replace(profile, operator=profile.operator or DEMO_OPERATOR,
                                               phone=profile.phone or DEMO_PHONE), now=now)
    schedule = get_fees(session)
    if not schedule.operator or not schedule.invoice_number:
        save_fees(session, manager, replace(schedule, operator=schedule.operator or DEMO_OPERATOR,
                                            invoice_number=schedule.invoice_number or DEMO_INVOICE_NUMBER),
                  now=now)


def seed_demo(session: Session, *, today: date, seed: int = 7, groups: int = 300) -> dict:
    """Fill the database with demo groups and bookings; returns counts of what was made.

    Runs inside the caller's transaction after ``ensure_initial_data``; existing bookings are
    respected (nothing is booked over them), so seeding twice only adds what still fits.
    """
    t0 = clock.perf_counter()
    rng = random.Random(seed)
    profile = get_profile(session)
    staff = list_staff(session)
    _give_demo_passwords(session, datetime.combine(today, time(8, 30)))
    desk = next((s for s in staff if s.role == "desk"), staff[0]).as_actor()
    manager = next((s for s in staff if s.role == "manager"), next(s for s in staff if s.role in ("manager", "admin")))
    manager = manager.as_actor()
    fy = jcal.fiscal_year(today)
    first, fiscal_end = jcal.fiscal_year_range(fy)
    last = hours.window_end(profile, today, True)
    now = datetime.combine(today, time(8, 45))
    rooms = {r.name: r for r in session.scalars(select(Room).where(Room.active.is_(True)).order_by(Room.sort_order))}
    types = {t.name: t for t in session.scalars(select(EquipmentType).where(EquipmentType.active.is_(True)))}

    _complete_the_issuer(session, manager, now=datetime.combine(first - timedelta(days=31), time(8, 50)))
    profile = get_profile(session)
    made = _make_groups(session, rng, now=datetime.combine(first - timedelta(days=31), time(9, 0)),
                        staff_id=manager.id, count=groups, fiscal_end=fiscal_end, fiscal_start=first)
    active = [g for g in made if g.status == "active"]
    # Last year first, so its bookings carry the lower numbers, as they would.
    previous = _seed_previous_year(session, random.Random(f"{seed}-previous"), profile=profile, fiscal_year=fy - 1,
                                   rooms=rooms, types=types, groups=made, desk=desk, today=today)
    # A few groups use the centre a lot, most now and then (as in any centre's statistics).
    weights = [1.0 / (i + 3) ** 0.8 for i in range(len(active))]
    order = active[:]
    rng.shuffle(order)

    # ---- recurring series, through the series service as the desk would enter them
    series_ids: list[int] = []
    series_rows: list[int] = []
    period_of = {p.name: p for p in profile.periods.get("weekday", ())}
    machi = [g for g in active if g.is_machizukuri] or active
    segments = _segments(profile, first, last, today)
    for i, (kind, wd, nth, interval, pname, room_name, purpose, equip) in enumerate(SERIES):
        if room_name not in rooms or pname not in period_of:
            continue
        # A series is a group's regular activity: the choir books the choir practice.
        keyword = SERIES_KEYWORDS.get(purpose)
        fitting = [g for g in order if keyword and keyword in g.name]
        group = (machi[i % len(machi)] if "まちづくり" in purpose
                 else fitting[0] if fitting else order[i % len(order)])
        room = rooms[room_name]
        period = period_of[pname]
        attendees = _attendees(rng, room)
        for seg_start, seg_end, booked_at in segments:
            template = BookingInput(
                start=datetime.combine(seg_start, period.start), end=datetime.combine(seg_start, period.end),
                room_id=room.id, booker_kind="member", group_id=group.id, contact_phone=group.phone,
                purpose=purpose, attendees=attendees,
                equipment={types[n].id: q for n, q in equip.items() if n in types},
            )
            rule = RecurrenceRule(kind=kind, start=seg_start, until=seg_end, weekdays=(wd,) if kind == "weekly" else (),
                                  interval=interval, nth=nth, weekday=wd)
            try:
                result = create_series(session, desk, template, rule, skip_unavailable=True,
                                       now=min(booked_at, now))
            except DomainError:  # a quarter that cannot be booked at all (e.g. all in conflict) is left out
                continue
            series_ids.append(result.series_id)
            series_rows += result.created

    # ---- single bookings, written in bulk against an in-memory occupancy
    occ = _load_occupancy(session, first, last)
    events_rng = random.Random(f"{seed}-events")
    events, event_users = _seed_events(session, events_rng, desk, profile=profile, first=first, last=last,
                                       today=today, rooms=rooms, occ=occ)
    equipment_only = [types[n] for n in ("印刷機", "紙折り機", "丁合機", "ラミネーター", "裁断機") if n in types]
    new_rows: list[Booking] = []
    day = first
    while day <= last:
        periods = hours.periods_for(profile, day)
        span = hours.opening_hours(profile, day)
        if not periods or span is None:
            day += timedelta(days=1)
            continue
        ahead = (day - today).days
        # Bookings thin out towards the end of the window, as they do at a real desk.
        density = 1.0 if ahead <= 7 else max(0.2, 1.0 - (ahead - 7) / 110)
        open_t, close_t = (datetime.combine(day, span[0]), datetime.combine(day, span[1]))
        for room, start, end in _room_slots(rng, periods, day, rooms.values()):
            if rng.random() < density and occ.room_free(room.id, start, end):
                new_rows.append(_single(rng, room, start, end, order, weights, types, occ))
        new_rows += _equipment_only(rng, open_t, close_t, equipment_only, order, weights, occ, density)
        day += timedelta(days=1)

    # ---- settle: what happened to past bookings, holds in the coming weeks
    counts = defaultdict(int)
    for b in new_rows:
        _settle(rng, b, today=today, now=now, desk_id=desk.id, counts=counts, may_hold=True)
    # One query for the series dates (the service's objects may already be gone from the session).
    series_objs = list(session.scalars(select(Booking).where(Booking.id.in_(series_rows)))) if series_rows else []
    session.add_all(new_rows)
    for b in series_objs:
        _settle(rng, b, today=today, now=now, desk_id=desk.id, counts=counts, may_hold=False, keep_created=True)
    session.flush()
    from booking_app.services.stats import walkin_categories

    walkins = _seed_walkins(session, random.Random(f"{seed}-walkins"), profile=profile, first=first, upto=today,
                            staff_id=desk.id, categories=walkin_categories(session))

    # ---- money: charges of general users, a fiscal year of receipts, printing logs, cash-ups
    money = _seed_money(session, random.Random(f"{seed}-money"), bookings=new_rows + series_objs,
                        profile=profile, types=types, today=today, first=first, desk=desk, manager=manager)
    money |= seed_insurance(session, today=today, rng_or_seed=f"{seed}-insurance", counts=money)  # issue 5

    skipped = session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status == BookingStatus.SKIPPED.value, Booking.series_id.in_(series_ids or [0]))) or 0
    result = {
        "groups": len(made),
        "groups_active": len(active),
        "series": len(series_ids),
        "series_bookings": len(series_rows),
        "single_bookings": len(new_rows),
        "bookings": len(series_rows) + len(new_rows),
        "skipped": skipped,
        "completed": counts[BookingStatus.COMPLETED.value],
        "cancelled": counts[BookingStatus.CANCELLED.value],
        "no_show": counts[BookingStatus.NO_SHOW.value],
        "tentative": counts[BookingStatus.TENTATIVE.value],
        "confirmed": counts[BookingStatus.CONFIRMED.value],
        "equipment_lines": sum(len(b.equipment) for b in new_rows) + sum(len(b.equipment) for b in series_objs),
        "walkins": walkins,
        "events": events,
        "event_users": event_users,
        **previous,
        **money,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "seconds": round(clock.perf_counter() - t0, 2),
    }
    audit(session, manager, "seed_demo", "demo", None,
          f"デモデータを作成（団体{result['groups']}件、予約{result['bookings']}件、繰り返し予約{len(series_ids)}件、"
          f"{jcal.format_slash(first)}〜{jcal.format_slash(last)}）",
          after={k: v for k, v in result.items() if k != "seconds"} | {"seed": seed, "today": today.isoformat()},
          now=now)
    return result


# --------------------------------------------------------------------------- money

TERMINAL = "カウンター"  # the demo's one cash drawer
PAY_METHODS = ("cash",) * 86 + ("card",) * 8 + ("qr",) * 6
NO_SHOW_WAIVER = "無断キャンセルだが事情を伺い今回は請求しない（センター長了承）"


def _charge_bookings(session: Session, bookings: list[Booking], *, profile, desk: Actor) -> dict[int, list[Charge]]:
    """The charges ``sync_booking_charges`` makes when each booking is entered, in bulk.

    A booking's charges are made when it was booked (created_at), as the booking dialog does; a
    cancelled one's are cancelled when it was (its updated_at), as the sync does then. Called per
    booking the service costs five queries and a flush (0.6–1.2 ms each, ~1.5 s for the demo's
    ~1,300 charged bookings; this takes 0.3 s); the rows and audit lines are the same, and the tests
    check that the service, run over them, finds nothing to change.
    """
    schedule = get_fees(session)
    room_names = dict(session.execute(select(Room.id, Room.name)).all())
    type_names = dict(session.execute(select(EquipmentType.id, EquipmentType.name)).all())
    standing = {gid: (st, until) for gid, st, until in session.execute(
        select(MemberGroup.id, MemberGroup.status, MemberGroup.valid_until))}
    made: dict[int, list[Charge]] = {}
    for b in sorted(bookings, key=lambda b: b.id):
        if b.status == BookingStatus.SKIPPED.value:
            continue  # a series date left out was never quoted
        fee_class = "general"
        if b.booker_kind == "member" and b.group_id in standing:
            st, until = standing[b.group_id]
            if effective_status(st, until, b.created_at.date()).in_good_standing:
                fee_class = "member"
        # What ``services.fees`` quotes for the booking (booking_plan), without its three queries per booking.
        equipment = {type_names[e.equipment_type_id]: e.quantity for e in b.equipment
                     if e.quantity and e.equipment_type_id in type_names}
        lines = charged_lines(fee_lines(schedule, profile, room_names.get(b.room_id), b.start_at, b.end_at,
                                        equipment, fee_class), b.start_at)
        if not lines:
            continue
        made[b.id] = [Charge(booking_id=b.id, group_id=b.group_id, payer_name=b.booker_name, kind=ln.kind,
                             description=ln.description, quantity=ln.quantity, unit_price=ln.unit_price,
                             amount=ln.amount, tax=ln.tax, status="open", created_at=b.created_at,
                             created_by=desk.id) for ln in lines]
    session.add_all(c for rows in made.values() for c in rows)
    session.flush()
    by_id = {b.id: b for b in bookings}
    for bid, rows in made.items():
        b = by_id[bid]
        audit(session, desk, "quote", "charge", None, quote_summary(b.number, len(rows), sum(c.amount for c in rows), 0),
              after=quote_after(bid, [c.id for c in rows], []), now=b.created_at)
        if b.status in DEAD_STATUSES:
            for c in rows:
                c.status = "cancelled"
            audit(session, desk, "cancel", "charge", None,
                  f"予約{b.number}の未収金{len(rows)}件を取消（予約{BookingStatus(b.status).label}）",
                  after={"booking_id": bid, "cancelled": [c.id for c in rows]}, now=b.updated_at)
    return made


def _purpose(charges: list[Charge]) -> str:
    kinds = {c.kind for c in charges}
    return "施設・備品使用料として" if {"room", "equipment"} <= kinds else (
        "備品使用料として" if kinds == {"equipment"} else "施設使用料として")


def _seed_money(session: Session, rng: random.Random, *, bookings: list[Booking], profile,
                types: dict[str, EquipmentType], today: date, first: date, desk: Actor, manager: Actor) -> dict:
    """Charges, payments, printing-machine logs, voids and closed cash-ups of the past days.

    Every payment goes through ``services.payments`` in time order (``now`` = the moment at the
    counter), so receipt numbers run 2026-000001 … in date order, as at a real desk.
    """
    charged = _charge_bookings(session, bookings, profile=profile, desk=desk)
    by_id = {b.id: b for b in bookings}
    open_days = [d for d in (first + timedelta(days=i) for i in range((today - first).days))
                 if hours.opening_hours(profile, d) is not None]
    closed_before = set(session.scalars(select(DayClosing.day).where(DayClosing.terminal == TERMINAL)))
    payable = set(open_days) - closed_before

    def inside_hours(at: datetime) -> bool:
        span = hours.opening_hours(profile, at.date())
        return span is not None and span[0] <= at.time() <= span[1]

    # (when, order, kind, args): run sorted, so numbers follow the clock.
    events: list[tuple[datetime, int, str, dict]] = []

    def add(when: datetime, kind: str, **args) -> int | None:
        if when.date() not in payable:  # a closed cash-up takes no more payments
            return None
        events.append((when, len(events), kind, args))
        return len(events) - 1

    unpaid_waived = 0
    pay_events: list[int] = []
    for bid in sorted(charged):
        b = by_id[bid]
        if b.status in DEAD_STATUSES or b.status == BookingStatus.TENTATIVE.value:
            continue
        made = b.created_at
        method = rng.choice(PAY_METHODS)
        if (made.date() < b.start_at.date() and made.date() < today and rng.random() < 0.2
                and inside_hours(made + timedelta(minutes=5))):
            # Paid in advance at the counter when booking (前納).
            i = add(made + timedelta(minutes=5), "booking", booking=b, method=method)
            if i is not None:
                pay_events.append(i)
        elif b.start_at.date() >= today:
            continue  # a coming booking, to be paid on the day: its charges stay open (未収)
        elif b.status == BookingStatus.NO_SHOW.value:
            if rng.random() < 0.5:
                add(b.start_at + timedelta(hours=1), "waive", booking=b)
        elif rng.random() < 0.96:
            i = add(b.start_at + timedelta(minutes=rng.randint(0, 10)), "booking", booking=b, method=method)
            if i is not None:
                pay_events.append(i)
        # else: used and not yet paid (後日払い); stays open

    # Printing-machine uses: every past use of the 印刷機 booked for a group, paid when done.
    press = types.get("印刷機")
    members = sorted({b.group_id for b in bookings if b.group_id is not None})
    for b in sorted(bookings, key=lambda b: b.id):
        if (press is None or b.room_id is not None or b.status != BookingStatus.COMPLETED.value
                or not any(e.equipment_type_id == press.id for e in b.equipment)):
            continue
        masters = rng.randint(1, 6)
        copies = rng.choice((0, 0, 0, rng.randint(10, 80)))
        add(b.end_at - timedelta(minutes=5), "printing", group_id=b.group_id, masters=masters,
            sheets=masters * rng.choice((30, 50, 100, 150, 200, 300)),
            paper=rng.choice(("brought", "brought", "bought")), copies=copies)
    # Copies and laminating at the counter now and then.
    for d in open_days:
        span = hours.opening_hours(profile, d)
        if members and rng.random() < 0.3:
            at = datetime.combine(d, span[0]) + timedelta(minutes=10 * rng.randint(1, 40))
            item, qty = rng.choice((("コピー 白黒", rng.randint(5, 120)), ("コピー 白黒", rng.randint(5, 40)),
                                    ("コピー カラー", rng.randint(1, 20)), ("ラミネート", rng.randint(1, 10))))
            if inside_hours(at):
                add(at, "item", group_id=rng.choice(members), item=item, qty=qty)

    # Two mistakes, voided and issued again: one in a closed day, one in the days still open.
    voided = 0
    groups_paid = [i for i in pay_events if events[i][3]["booking"].booker_kind == "group"
                   and events[i][3]["booking"].note.startswith("代表者：")]
    first_void = groups_paid[len(groups_paid) // 2] if groups_paid else None
    later = [i for i in pay_events if events[i][0].date() in open_days[-2:] and i != first_void]
    if first_void is not None:
        i = first_void
        when, _, _, args = events[i]
        args["payer"] = args["booking"].note.removeprefix("代表者：")  # the representative, not the group
        add(when + timedelta(minutes=20), "void", ref=i, reason="宛名の誤り（団体名で再発行）")
        add(when + timedelta(minutes=22), "repay", booking=args["booking"], method=args["method"])
    if later:
        i = later[0]
        when, _, _, args = events[i]
        args["purpose"] = "備品使用料として"
        add(when + timedelta(minutes=15), "void", ref=i, reason="但し書きの誤り")
        add(when + timedelta(minutes=16), "repay", booking=args["booking"], method=args["method"])

    cash: dict[date, int] = defaultdict(int)
    receipt_of: dict[int, int] = {}
    logs = items = 0
    events.sort(key=lambda e: (e[0], e[1]))
    for when, key, kind, args in events:
        ids: list[int] = []
        payer, group_id, purpose, method = "", None, "", args.get("method", "cash")
        if kind == "booking":
            b = args["booking"]
            rows = charged[b.id]
            ids, payer, group_id = [c.id for c in rows], args.get("payer", b.booker_name), b.group_id
            purpose = args.get("purpose") or _purpose(rows)
        elif kind == "repay":
            b = args["booking"]
            rows = list(session.scalars(select(Charge).where(Charge.booking_id == b.id, Charge.status == "open")
                                        .order_by(Charge.id)))
            ids, payer, group_id, purpose = [c.id for c in rows], b.booker_name, b.group_id, _purpose(rows)
        elif kind == "waive":
            for c in charged[args["booking"].id]:
                cancel_charge(session, desk, c.id, NO_SHOW_WAIVER, now=when)
                unpaid_waived += 1
            continue
        elif kind == "void":
            view = void_receipt(session, manager, receipt_of[args["ref"]], args["reason"], refund_method="cash",
                                now=when, terminal=TERMINAL)
            cash[when.date()] -= view.refund_amount  # refunded in cash from the drawer
            voided += 1
            continue
        elif kind == "printing":
            group_id = args["group_id"]
            _log, view = log_printing(session, desk, user_name="", group_id=group_id, masters=args["masters"],
                                      sheets=args["sheets"], paper=args["paper"], now=when)
            logs += 1
            ids, purpose = [view.id], "印刷機使用料として"
            if args["copies"]:
                ids.append(add_item_charge(session, desk, "コピー 白黒", args["copies"], payer_name="",
                                           group_id=group_id, now=when).id)
                items += 1
                purpose = "印刷機・コピー使用料として"
        elif kind == "item":
            group_id = args["group_id"]
            ids = [add_item_charge(session, desk, args["item"], args["qty"], payer_name="", group_id=group_id,
                                   now=when).id]
            items += 1
            purpose = "ラミネート代として" if args["item"] == "ラミネート" else "コピー代として"
        if not ids:
            continue
        view = take_payment(session, desk, ids, payer_name=payer or _group_name(session, group_id),
                            purpose=purpose, method=method, group_id=group_id, now=when, terminal=TERMINAL)
        receipt_of[key] = view.id
        if view.method == "cash":
            cash[when.date()] += view.total

    # Close every past day's cash-up but the last two, counted to the yen.
    closed = 0
    for d in open_days[:-2]:
        if d in closed_before:
            continue
        close = datetime.combine(d, hours.opening_hours(profile, d)[1]) + timedelta(minutes=15)
        close_day(session, desk, d, TERMINAL, cash_counted=cash[d], now=close)
        closed += 1
    n = dict(session.execute(select(Charge.status, func.count()).group_by(Charge.status)).all())
    return {
        "charges": sum(n.values()),
        "charges_open": n.get("open", 0),
        "charges_waived": unpaid_waived,
        "receipts": len(receipt_of),
        "receipts_voided": voided,
        "printing_logs": logs,
        "item_charges": items,
        "days_closed": closed,
    }


def _group_name(session: Session, group_id: int | None) -> str:
    g = session.get(MemberGroup, group_id) if group_id is not None else None
    return g.name if g else ""


def _single(rng: random.Random, room: Room, start: datetime, end: datetime, order: list[MemberGroup],
            weights: list[float], types: dict[str, EquipmentType], occ: _Occupancy) -> Booking:
    attendees = _attendees(rng, room)
    r = rng.random()
    if r < 0.86:
        g = rng.choices(order, weights)[0]
        b = Booking(booker_kind="member", group_id=g.id, booker_name=g.name, contact_phone=g.phone,
                    purpose=rng.choice(PURPOSES))
    elif r < 0.94:
        b = Booking(booker_kind="group", booker_name=rng.choice(UNREGISTERED), contact_phone=_phone(rng),
                    purpose=rng.choice(PURPOSES), note=f"代表者：{_person(rng)}")
        attendees = max(2, attendees)
    else:
        b = Booking(booker_kind="person", booker_name=_person(rng), contact_phone=_phone(rng).replace("083", "090", 1),
                    purpose=rng.choice(PERSON_PURPOSES))
        attendees = rng.randint(1, min(4, room.capacity))
    b.room_id, b.start_at, b.end_at, b.attendees = room.id, start, end, attendees
    wanted: dict[int, int] = {}
    if rng.random() < 0.16 and "プロジェクター" in types:
        wanted[types["プロジェクター"].id] = 1
        if rng.random() < 0.7 and "スクリーン" in types:
            wanted[types["スクリーン"].id] = 1
    if rng.random() < 0.12 and "ホワイトボード" in types:
        wanted[types["ホワイトボード"].id] = 1
    if room.capacity >= 30 and rng.random() < 0.15 and "ワイヤレスマイク" in types:
        wanted[types["ワイヤレスマイク"].id] = 1
    by_id = {t.id: t for t in types.values()}
    # Equipment already lent out at that time is simply not asked for, as the desk would tell the group.
    wanted = {t: q for t, q in wanted.items() if occ.equipment_free(by_id[t], q, start, end)}
    b.equipment = [BookingEquipment(equipment_type_id=t, quantity=q) for t, q in wanted.items()]
    occ.take(room.id, start, end, wanted)
    return b


def _settle(rng: random.Random, b: Booking, *, today: date, now: datetime, desk_id: int, counts: dict,
            may_hold: bool, keep_created: bool = False) -> None:
    day = b.start_at.date()
    if not keep_created:
        made = day - timedelta(days=rng.randint(2, 70))
        earliest = date(day.year - (day.month <= 3), (day.month - 4) % 12 + 1, 1)  # the window opens 3 months ahead
        made = min(max(made, earliest), today)
        b.created_at = datetime.combine(made, time(rng.randint(9, 20), rng.choice((0, 15, 30, 45))))
        b.created_at = min(b.created_at, now)  # booked today: before the demo's clock, never after it
        b.created_by = b.updated_by = desk_id
        b.updated_at = b.created_at
    b.updated_by = desk_id
    r = rng.random()
    if day < today:
        if r < 0.05:
            b.status, b.status_reason = BookingStatus.CANCELLED.value, rng.choice(CANCEL_REASONS)
            b.updated_at = max(b.created_at, b.start_at - timedelta(days=rng.randint(1, 10)))
        elif r < 0.065:
            b.status, b.status_reason = BookingStatus.NO_SHOW.value, "連絡なく来館されなかった"
            b.updated_at = b.start_at + timedelta(minutes=30)
        else:
            b.status = BookingStatus.COMPLETED.value
            b.actual_users = max(1, b.attendees + rng.randint(-3, 2)) if b.attendees else rng.randint(1, 2)
            b.updated_at = b.end_at + timedelta(minutes=rng.choice((0, 5, 10)))
    elif r < 0.03:
        b.status, b.status_reason = BookingStatus.CANCELLED.value, rng.choice(CANCEL_REASONS)
        b.updated_at = max(b.created_at, now - timedelta(days=rng.randint(0, 5)))
    elif may_hold and day > today and (day - today).days <= 21 and r < 0.13:
        b.status = BookingStatus.TENTATIVE.value
        b.hold_until = min(day, today + timedelta(days=rng.randint(1, 7)))
    else:
        b.status = b.status or BookingStatus.CONFIRMED.value
    counts[b.status] += 1


__all__ = ["seed_demo"]


# --------------------------------------------------------------------------- insurance (issue 5)

# Rosters need readings, which the name material above does not carry.
INS_SURNAMES = (("田中", "タナカ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("藤井", "フジイ"), ("石井", "イシイ"),
                ("吉田", "ヨシダ"), ("林", "ハヤシ"), ("森", "モリ"), ("岡村", "オカムラ"), ("河野", "カワノ"),
                ("西村", "ニシムラ"), ("原田", "ハラダ"), ("松本", "マツモト"), ("山田", "ヤマダ"), ("村上", "ムラカミ"),
                ("末永", "スエナガ"), ("古谷", "フルタニ"), ("福田", "フクダ"), ("広中", "ヒロナカ"), ("江本", "エモト"),
                ("国弘", "クニヒロ"), ("三浦", "ミウラ"), ("岡本", "オカモト"), ("藤本", "フジモト"), ("上田", "ウエダ"))
INS_GIVEN = (("和子", "カズコ"), ("幸子", "サチコ"), ("洋子", "ヨウコ"), ("恵美", "エミ"), ("由美", "ユミ"),
             ("真理子", "マリコ"), ("博", "ヒロシ"), ("誠", "マコト"), ("修", "オサム"), ("浩二", "コウジ"),
             ("健一", "ケンイチ"), ("正樹", "マサキ"), ("美紀", "ミキ"), ("隆", "タカシ"), ("明美", "アケミ"),
             ("直樹", "ナオキ"), ("久美子", "クミコ"), ("哲也", "テツヤ"), ("節子", "セツコ"), ("翔太", "ショウタ"))
# (plan code, event name, place, first day offset from the pay day, days, kinds, indoor, head count)
INS_EVENTS = (
    ("EVT-A1", "海岸清掃ボランティア", "豊浦町川棚 海岸", 12, 1, 15, None),
    ("EVT-B", "子ども食堂 冬のふれあいキャンプ", "火の山青少年野外活動センター", 25, 2, 18, None),
    ("EVT-C", "多文化共生フェスタ", "しものせき市民活動センター 多目的交流ホール", 19, 1, 60, 60),
    ("EVT-A2", "防災まち歩きと炊き出し訓練", "長府地区 公民館周辺", 32, 1, 20, None),
)


def _ins_roster(rng: random.Random, n: int):
    from booking_app.services.insurance import PersonInput

    seen: set[str] = set()
    out = []
    while len(out) < n:
        (s, sk), (g, gk) = rng.choice(INS_SURNAMES), rng.choice(INS_GIVEN)
        if s + g not in seen:
            seen.add(s + g)
            out.append(PersonInput(f"{s} {g}", f"{sk} {gk}"))
    return out


def seed_insurance(session: Session, *, today: date, rng_or_seed, counts: dict | None = None) -> dict:
    """Insurance demo data: the city's plan for most registered groups (enrolled in April), members'
    ボランティア活動保険 with rosters, a few event enrolments (one overnight B, one C with a head count),
    one enrolment left unpaid, and three accident reports (one sent, one nearing its deadline, one overdue).

    Premiums are paid through ``payments.take_payment`` at the counter. Receipt numbers must follow
    the clock and closed cash-ups take no more payments, so, seeded after the year's receipts, the
    paid enrolments are made on the last day the counter took money, after its last receipt.
    ``counts`` (the money counts) gets its receipt and charge figures brought up to date.
    """
    from booking_app.services import insurance as ins
    from booking_app.store.models import Receipt

    rng = rng_or_seed if isinstance(rng_or_seed, random.Random) else random.Random(rng_or_seed)
    profile = get_profile(session)
    staff = list_staff(session)
    desk = next((s for s in staff if s.role == "desk"), staff[0]).as_actor()
    manager = next((s for s in staff if s.role in ("manager", "admin")), staff[0]).as_actor()
    fy = jcal.fiscal_year(today)
    first, _ = jcal.fiscal_year_range(fy)
    plans = {p.code: p.id for p in ins.plans_for_year(session, fy, actor=manager,
                                                       now=datetime.combine(first, time(8, 45)))}
    groups = list(session.scalars(select(MemberGroup).where(MemberGroup.status == "active",
                                                            MemberGroup.reg_no.is_not(None))
                                  .order_by(MemberGroup.reg_no)))
    open_days = [d for d in (first + timedelta(days=i) for i in range((today - first).days))
                 if hours.opening_hours(profile, d) is not None]
    out = {"insurance_enrolments": 0, "insurance_paid": 0, "insurance_unpaid": 0, "accident_reports": 0}
    if not groups or not open_days:
        return out

    # ---- the city's 市民活動保険: most registered groups, at registration renewal in April (no premium)
    april = [d for d in open_days if d.month == 4] or open_days[:20]
    city: list[ins.EnrolmentView] = []
    for g in groups:
        if rng.random() < 0.75:
            day = rng.choice(april)
            at = datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))))
            city.append(ins.enrol_group(session, desk, plan_id=plans["CITY"], group_id=g.id, applied_on=day, now=at))

    # ---- paid enrolments: on the counter's last day with takings, after its last receipt
    closed = set(session.scalars(select(DayClosing.day).where(DayClosing.terminal == TERMINAL)))
    last = session.scalar(select(func.max(Receipt.issued_at)))
    if last is None or last.date() >= today:
        pay_day = open_days[-1]
        last = datetime.combine(pay_day, hours.opening_hours(profile, pay_day)[0])
    pay_day = last.date()
    close = datetime.combine(pay_day, hours.opening_hours(profile, pay_day)[1]) if hours.opening_hours(
        profile, pay_day) else last
    volunteers = rng.sample([g for g in groups if g.group_type == "purpose"] or groups, k=min(10, len(groups)))
    todo = len(volunteers) + len(INS_EVENTS)
    step = max(timedelta(seconds=1), min(timedelta(minutes=6), (close - last) / (todo + 1)))
    step = timedelta(seconds=int(step.total_seconds()))
    can_pay = pay_day not in closed and close > last
    at = last
    receipts = 0

    def pay(view: ins.EnrolmentView, when: datetime, purpose: str) -> None:
        nonlocal receipts
        if can_pay and view.open_charge_ids:
            take_payment(session, desk, list(view.open_charge_ids), payer_name=view.holder_name, purpose=purpose,
                         method="cash", group_id=view.group_id, now=when, terminal=TERMINAL)
            receipts += 1

    paid_views: list[ins.EnrolmentView] = []
    unpaid = None
    for i, g in enumerate(volunteers):
        at += step
        code = "VOL-DISASTER" if i % 4 == 3 else "VOL-BASIC"
        roster = _ins_roster(rng, rng.randint(5, 25))
        view = ins.enrol_group(session, desk, plan_id=plans[code], group_id=g.id, people=roster,
                               applied_on=pay_day, now=at)
        if i == len(volunteers) - 1:
            unpaid = view  # the one the desk is still waiting for (未払い)
            continue
        pay(view, at, "ボランティア活動保険料として")
        paid_views.append(view)
    for code, name, place, offset, days, n, head in INS_EVENTS:
        at += step
        g = rng.choice(groups)
        start = pay_day + timedelta(days=offset)
        view = ins.enrol_event(
            session, desk, plan_id=plans[code], holder_name=g.name, group_id=g.id, event_name=name,
            event_place=place, event_start=start, event_end=start + timedelta(days=days - 1),
            expected_participants=n, people=() if head else _ins_roster(rng, n), head_count=head,
            indoor_or_bounded=True, applied_on=pay_day, now=at)
        pay(view, at, "行事用保険料として")
        paid_views.append(view)

    # ---- accident reports under the city's plan: one sent, one nearing its deadline, one overdue
    reports = 0
    if city:
        cases = (
            (today - timedelta(days=45), "公園の清掃中、草刈り鎌で左手の指を切った", "左手人差し指の切り傷（3針縫合）", "", True),
            (today - timedelta(days=10), "見守り訪問の帰りに段差で転倒した", "右足首のねんざ（通院中）", "", False),
            (today - timedelta(days=17), "行事の準備中、備品の机を倒し来場者の眼鏡を壊した", "", "眼鏡の破損（修理見積 28,000円）",
             False),
        )
        for occurred_on, what, injury, damage, sent in cases:
            e = rng.choice([v for v in city if v.cover_start <= occurred_on] or city)
            when = datetime.combine(occurred_on, time(rng.randint(9, 15), rng.choice((0, 20, 40))))
            person = f"{rng.choice(INS_SURNAMES)[0]} {rng.choice(INS_GIVEN)[0]}"
            g = session.get(MemberGroup, e.group_id)  # the group's representative reports it (no rng drawn)
            report = ins.file_accident(session, desk, enrolment_id=e.id, person_name=person, occurred_at=when,
                                       reporter_name=g.representative or "代表者",
                                       reporter_phone=g.phone or g.contact_phone or "083-000-0000",
                                       witnesses="団体の会員（同じ活動に参加）",
                                       place=rng.choice(("みもすそ川公園", "彦島 西山海岸", "長府 功山寺周辺",
                                                         "団体の活動場所（公民館）")),
                                       description=what, injury=injury, damage=damage,
                                       now=min(when + timedelta(days=1), datetime.combine(today, time(8, 45))))
            if sent:
                ins.mark_accident_sent(session, desk, report.id, sent_on=occurred_on + timedelta(days=6),
                                       now=datetime.combine(occurred_on + timedelta(days=6), time(11)))
            reports += 1

    out.update(insurance_enrolments=len(city) + len(volunteers) + len(INS_EVENTS),
               insurance_paid=receipts, insurance_unpaid=0 if unpaid is None else 1, accident_reports=reports)
    if counts is not None and "receipts" in counts:
        n = dict(session.execute(select(Charge.status, func.count()).group_by(Charge.status)).all())
        out.update(receipts=counts["receipts"] + receipts, charges=sum(n.values()), charges_open=n.get("open", 0))
    return out
