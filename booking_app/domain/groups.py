"""Registered groups (登録団体): eligibility under the ordinance, validity and status, all pure.

The city's ordinance counts as a 市民活動団体 a group whose main purpose is organised, continuing
citizen activity, and excludes groups mainly for (a) religion, (b) political principles,
(c) election support and (d) profit; comparable ordinances add 暴力団-related groups. A group
registers for the fiscal year and renews each April.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import ValidationError


class GroupStatus(StrEnum):
    """Status of a registered group (登録状況)."""

    ACTIVE = "active"  # 有効
    RENEWAL_DUE = "renewal_due"  # 更新待ち
    EXPIRED = "expired"  # 期限切れ
    SUSPENDED = "suspended"  # 停止
    DEREGISTERED = "deregistered"  # 抹消

    @property
    def label(self) -> str:
        return GROUP_STATUS_LABELS[self]

    @property
    def in_good_standing(self) -> bool:
        """May use member rates and the member booking window."""
        return self in (GroupStatus.ACTIVE, GroupStatus.RENEWAL_DUE)


GROUP_STATUS_LABELS = {
    GroupStatus.ACTIVE: "有効",
    GroupStatus.RENEWAL_DUE: "更新待ち",
    GroupStatus.EXPIRED: "期限切れ",
    GroupStatus.SUSPENDED: "停止",
    GroupStatus.DEREGISTERED: "抹消",
}

GROUP_TYPES = {"purpose": "目的型", "community": "地縁型", "other": "その他"}

# The 20 fields of activity in the NPO law (特定非営利活動促進法 別表).
ACTIVITY_FIELDS = (
    "保健・医療・福祉",
    "社会教育",
    "まちづくり",
    "観光",
    "農山漁村・中山間地域",
    "学術・文化・芸術・スポーツ",
    "環境保全",
    "災害救援",
    "地域安全",
    "人権・平和",
    "国際協力",
    "男女共同参画",
    "子どもの健全育成",
    "情報化社会",
    "科学技術",
    "経済活動の活性化",
    "職業能力・雇用機会",
    "消費者保護",
    "団体の運営・活動の支援",
    "条例で定める活動",
)

# The declarations a group makes when it registers (that it is NOT mainly …).
DECLARATIONS = {
    "not_religious": "宗教の教義を広め、儀式を行い、信者を教化育成することを主たる目的としない",
    "not_political": "政治上の主義を推進し、支持し、又はこれに反対することを主たる目的としない",
    "not_electoral": "特定の公職の候補者・公職者・政党を推薦し、支持し、又は反対することを目的としない",
    "not_for_profit": "営利を目的としない",
    "not_gang": "暴力団又は暴力団員の統制の下にある団体でない",
}

# Shimonoseki's 17 まちづくり協議会 districts (roughly one per junior-high-school area).
MACHIZUKURI_DISTRICTS = (
    "本庁", "彦島", "長府", "王司", "清末", "小月", "王喜", "吉田", "勝山", "内日", "川中", "安岡",
    "吉見", "菊川", "豊田", "豊浦", "豊北",
)


@dataclass
class GroupInput:
    """What the registration form (団体登録申請書) asks for."""

    name: str
    kana: str
    group_type: str = "purpose"
    is_machizukuri: bool = False
    district: str = ""
    activity_fields: list[str] = field(default_factory=list)
    representative: str = ""
    phone: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    email: str = ""
    address: str = ""
    meeting_place: str = ""
    members: int | None = None
    declarations: dict[str, bool] = field(default_factory=dict)
    note: str = ""


# The register's text columns (store/models.py MemberGroup, String(n)): PostgreSQL refuses longer text
# and SQLite would keep it, so every caller (dialog, import, service) is held to the same limits here.
TEXT_LIMITS = {"name": ("団体名", 200), "kana": ("フリガナ", 400), "representative": ("代表者名", 100),
               "phone": ("電話番号", 40), "contact_name": ("連絡担当者", 100), "contact_phone": ("連絡先電話番号", 40),
               "email": ("メールアドレス", 200), "address": ("住所", 300), "meeting_place": ("主な活動場所", 200)}


def validate_registration(data: GroupInput) -> None:
    """Refuse a registration the ordinance does not allow, naming the field and the fix in Japanese."""
    if not data.name.strip():
        raise ValidationError("団体名を入力してください。", field="name")
    if not data.kana.strip():
        raise ValidationError("団体名のフリガナを入力してください。", field="kana")
    for name, (label, limit) in TEXT_LIMITS.items():
        value = (getattr(data, name) or "").strip()
        if len(value) > limit:
            raise ValidationError(f"{label}は{limit}文字以内で入力してください（今は{len(value)}文字）。", field=name)
    for name in (*TEXT_LIMITS, "note"):
        if "\x00" in (getattr(data, name) or ""):
            raise ValidationError(f"{TEXT_LIMITS.get(name, ('備考',))[0]}に使えない文字（制御文字）が含まれています。",
                                  field=name)
    if data.group_type not in GROUP_TYPES:
        raise ValidationError("団体の区分（目的型・地縁型）を選んでください。", field="group_type")
    if data.is_machizukuri and data.district not in MACHIZUKURI_DISTRICTS:
        raise ValidationError("まちづくり協議会の地区を選んでください。", field="district")
    if not data.activity_fields:
        raise ValidationError("活動分野を1つ以上選んでください。", field="activity_fields")
    unknown = [f for f in data.activity_fields if f not in ACTIVITY_FIELDS]
    if unknown:
        raise ValidationError(f"活動分野「{unknown[0]}」は選べません。一覧から選んでください。", field="activity_fields")
    if not data.representative.strip():
        raise ValidationError("代表者名を入力してください。", field="representative")
    if not (data.phone.strip() or data.contact_phone.strip() or data.email.strip()):
        raise ValidationError("連絡先（電話番号またはメールアドレス）を入力してください。", field="phone")
    if data.members is not None and data.members < 1:
        raise ValidationError("会員数は1以上の数で入力してください。", field="members")
    if data.email and ("@" not in data.email or " " in data.email.strip()):
        raise ValidationError("メールアドレスの形式が正しくありません（例：info@example.jp）。", field="email")
    missing = [k for k in DECLARATIONS if not data.declarations.get(k)]
    if missing:
        raise ValidationError(
            "登録できません：条例の要件の確認がありません。次の項目を団体に確認し、チェックしてください。\n"
            + "\n".join(f"・{DECLARATIONS[k]}" for k in missing),
            field="declarations",
        )


def validity_end(registered_on: date) -> date:
    """A registration runs to 31 March of its fiscal year."""
    return jcal.fiscal_year_range(jcal.fiscal_year(registered_on))[1]


def effective_status(stored: str, valid_until: date | None, today: date, renewal_notice_days: int = 31) -> GroupStatus:
    """What the desk should see today, whatever the stored status says.

    停止 and 抹消 are decisions by a manager and stand until reversed. Otherwise the validity date
    decides: past it the group is 期限切れ; within ``renewal_notice_days`` of it, 更新待ち.
    """
    status = GroupStatus(stored)
    if status in (GroupStatus.SUSPENDED, GroupStatus.DEREGISTERED):
        return status
    if valid_until is None:
        return GroupStatus.ACTIVE if status != GroupStatus.EXPIRED else status
    if today > valid_until:
        return GroupStatus.EXPIRED
    if today >= valid_until - timedelta(days=renewal_notice_days - 1):
        return GroupStatus.RENEWAL_DUE
    return GroupStatus.ACTIVE


def format_reg_no(n: int) -> str:
    return f"{n:04d}"
