"""Moving the centre's group register (登録団体名簿) in and out: ``.csv`` or ``.xlsx``.

Import is all rows or none. Every row is read and judged first (columns, dates, activity fields,
registration numbers against the file and the database); if any row is wrong nothing is written and
every problem is reported with its row number as the file shows it (the heading is row 1), its column
and a Japanese reason. Likely duplicates (same name once kana and width are folded, or the same
representative with the same phone digits) are only warnings: two groups may really share a name.

Decisions (documented for staff in docs/import-groups.md):

- The register is history: the ordinance declarations (not religious, political, electoral, for
  profit, gang-related) are taken as made when each group first registered, so imported new groups
  carry them all.
- Registration numbers are kept as written ('14' from an Excel number cell is read as '0014'). A
  number the database already holds for a group with the same name (folded) updates that group, so
  export → import round-trips; held by a group with another name, it is an error (numbers are never
  reused). A row without a number gets the next free one.
- Status: 停止 and 抹消 are a manager's decisions and are taken as written (with their reason). For
  everything else the validity date decides, exactly as ``domain.groups.effective_status`` does at the
  counter: a group whose registration ran out on 2026/03/31 is stored as 期限切れ.
- Activity fields unknown to the NPO law's list are errors (no silent mapping to 条例で定める活動, which
  would hide a typo); common short forms (福祉, 環境の保全, 団体の運営支援 …) are accepted.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError, ValidationError
from booking_app.domain.groups import (
    ACTIVITY_FIELDS,
    DECLARATIONS,
    GROUP_STATUS_LABELS,
    GROUP_TYPES,
    MACHIZUKURI_DISTRICTS,
    GroupInput,
    GroupStatus,
    effective_status,
    validate_registration,
    validity_end,
)
from booking_app.domain.kana import digits_only, search_key, to_hiragana
from booking_app.services import table_writer, tabular
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.import_limits import ImportLimits, get_import_limits
from booking_app.services.groups import REG_NO_SEQUENCE, next_number
from booking_app.services.tabular import (
    RowChecker,
    Table,
    TableReport,
    cell_date,
    cell_text,
    find_header,
    fold,
    heading_lookup,
    open_table,
    parse_rows,
)
from booking_app.store.models import GroupStatusChange, MemberGroup

# --------------------------------------------------------------------------- columns

# Canonical heading → other headings seen in centres' registers (compared width- and space-folded).
COLUMNS: dict[str, tuple[str, ...]] = {
    "登録番号": ("団体番号", "登録No", "登録NO", "登録No.", "番号"),
    "団体名": ("団体名称", "名称"),
    "フリガナ": ("ふりがな", "よみがな", "ヨミガナ", "団体名フリガナ", "カナ"),
    "区分": ("団体区分", "種別", "類型"),
    "まちづくり協議会": ("まち協",),
    "地区": ("まちづくり協議会の地区",),
    "活動分野": ("分野", "活動分野（NPO法）"),
    "代表者": ("代表者名", "代表者氏名"),
    "電話番号": ("電話", "代表者電話", "TEL", "代表電話"),
    "連絡担当者": ("担当者", "連絡先担当者", "連絡担当"),
    "連絡先電話": ("担当者電話", "連絡先電話番号", "連絡担当者電話"),
    "メール": ("メールアドレス", "Eメール", "E-mail", "email", "mail"),
    "住所": ("所在地", "連絡先住所"),
    "活動場所": ("主な活動場所",),
    "会員数": ("人数", "会員数（人）"),
    "登録日": ("登録年月日",),
    "有効期限": ("有効期間", "期限"),
    "状態": ("登録状況", "ステータス"),
    "状態の理由": ("理由", "停止・抹消の理由"),
    "備考": ("メモ",),
}
# The order our export writes (the sample register's columns with ours slotted in).
EXPORT_COLUMNS = tuple(COLUMNS)
REQUIRED = ("団体名", "フリガナ", "活動分野", "代表者", "登録日")
SHEET_NAME = "登録団体名簿"

_TYPE_BY_LABEL = {"目的型": "purpose", "目的": "purpose", "purpose": "purpose",
                  "地縁型": "community", "地縁": "community", "community": "community",
                  "その他": "other", "other": "other"}
_STATUS_BY_LABEL = {label: s.value for s, label in GROUP_STATUS_LABELS.items()} | {
    s.value: s.value for s in GroupStatus} | {"更新待ち": "renewal_due", "更新時期": "renewal_due",
                                                "期限切": "expired", "失効": "expired", "利用停止": "suspended",
                                                "登録抹消": "deregistered"}
_YES = {"○", "〇", "◯", "●", "はい", "有", "あり", "yes", "y", "true", "1", "該当"}
_NO = {"", "×", "✕", "いいえ", "無", "なし", "-", "no", "n", "false", "0", "非該当"}
MACHIZUKURI_MARK = "○"

# Activity fields: canonical names, their keys without separators, and the short forms accepted.
_FIELD_SPLIT_RE = re.compile(r"[・･、,，;；/／\s]+")
_FIELD_TAIL_RE = re.compile(r"(?:の推進|の振興|の増進|の擁護)?を図る活動$")
_FIELD_ALIASES: dict[str, str] = {
    "福祉": "保健・医療・福祉", "保健": "保健・医療・福祉", "医療": "保健・医療・福祉",
    "生涯学習": "社会教育",
    "まち作り": "まちづくり", "街づくり": "まちづくり", "町づくり": "まちづくり", "まちおこし": "まちづくり",
    "農山漁村": "農山漁村・中山間地域", "中山間地域": "農山漁村・中山間地域",
    "学術": "学術・文化・芸術・スポーツ", "文化": "学術・文化・芸術・スポーツ",
    "芸術": "学術・文化・芸術・スポーツ", "スポーツ": "学術・文化・芸術・スポーツ",
    "環境": "環境保全", "環境の保全": "環境保全",
    "災害": "災害救援", "防災": "災害救援",
    "防犯": "地域安全", "交通安全": "地域安全",
    "人権": "人権・平和", "平和": "人権・平和", "人権の擁護": "人権・平和", "平和の推進": "人権・平和",
    "国際交流": "国際協力",
    "男女共同参画社会": "男女共同参画", "男女共同参画社会の形成": "男女共同参画",
    "子ども": "子どもの健全育成", "子供": "子どもの健全育成", "子育て": "子どもの健全育成",
    "子供の健全育成": "子どもの健全育成", "青少年育成": "子どもの健全育成", "健全育成": "子どもの健全育成",
    "情報化": "情報化社会", "情報化社会の発展": "情報化社会",
    "科学": "科学技術", "科学技術の振興": "科学技術",
    "経済活動": "経済活動の活性化",
    "職業能力": "職業能力・雇用機会", "雇用機会": "職業能力・雇用機会", "雇用": "職業能力・雇用機会",
    "職業能力の開発": "職業能力・雇用機会", "雇用機会の拡充": "職業能力・雇用機会",
    "消費者の保護": "消費者保護", "消費者": "消費者保護",
    "団体の運営支援": "団体の運営・活動の支援", "団体運営支援": "団体の運営・活動の支援",
    "団体の運営活動支援": "団体の運営・活動の支援", "団体支援": "団体の運営・活動の支援",
    "中間支援": "団体の運営・活動の支援",
    "条例": "条例で定める活動", "条例で定める": "条例で定める活動",
}


def _fkey(text: str) -> str:
    """Key of an activity field name: width folded, separators and spaces removed."""
    return re.sub(r"[・･\s]", "", unicodedata.normalize("NFKC", text))


_FIELD_BY_KEY: dict[str, str] = {_fkey(f): f for f in ACTIVITY_FIELDS}
_FIELD_BY_KEY.update({_fkey(a): f for a, f in _FIELD_ALIASES.items()})


def parse_activity_fields(text: str) -> tuple[list[str], list[str]]:
    """The NPO-law fields named in one cell, and the parts that name none.

    Fields are separated by ・ or 、, but some names themselves contain ・ (学術・文化・芸術・スポーツ),
    so the longest run of parts that names a field wins: '学術・文化・芸術・スポーツ・観光' is two fields.
    """
    parts = [p for p in _FIELD_SPLIT_RE.split(unicodedata.normalize("NFKC", text or "")) if p]
    found: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            key = _FIELD_TAIL_RE.sub("", "".join(parts[i:j]))
            canon = _FIELD_BY_KEY.get(key)
            if canon:
                if canon not in found:
                    found.append(canon)
                i = j
                break
        else:
            unknown.append(parts[i])
            i += 1
    return found, unknown


# --------------------------------------------------------------------------- report


# One problem (or notice) of the file: row as numbered in Excel (heading = 1), column, reason.
GroupImportIssue = tabular.TableIssue


@dataclass(frozen=True)
class PlannedChange:
    """A group the import creates or updates (for the preview)."""

    row: int
    reg_no: str  # '' when a new number will be given
    name: str
    status: str
    changes: tuple[str, ...] = ()  # columns that differ, for an update


@dataclass
class GroupImportReport(TableReport):
    """What a register import did, or would do (団体名簿の取込結果)."""

    TITLE = "団体名簿"

    created: list[PlannedChange] = field(default_factory=list)
    updated: list[PlannedChange] = field(default_factory=list)
    unchanged: int = 0
    group_ids: tuple[int, ...] = ()

    @property
    def expired(self) -> int:
        return sum(c.status == GroupStatus.EXPIRED.value for c in self.created + self.updated)

    def error_hint_lines(self) -> list[str]:
        if any(e.column == "活動分野" for e in self.errors):
            return ["  活動分野に書ける分野：" + "、".join(ACTIVITY_FIELDS)]
        return []

    def result_lines(self) -> list[str]:
        verb = "取込" if self.written else "取込予定"
        lines = [f"{verb}：新規{len(self.created)}団体、更新{len(self.updated)}団体、変更なし{self.unchanged}団体"]
        if self.expired:
            lines.append(f"  うち有効期限が過ぎている{self.expired}団体は「期限切れ」で登録")
        new_numbers = sum(1 for c in self.created if not c.reg_no)
        if new_numbers:
            lines.append(f"  登録番号のない{new_numbers}団体には新しい番号を割り当て"
                         + ("ました" if self.written else "ます"))
        for c in self.updated[:50]:
            lines.append(f"  更新 {c.reg_no} {c.name}：{'、'.join(c.changes)}")
        if len(self.updated) > 50:
            lines.append(f"  ほか{len(self.updated) - 50}団体を更新")
        return lines


# --------------------------------------------------------------------------- reading the file

_HEADINGS = heading_lookup(COLUMNS)


def _read_table(path: Path, limits: ImportLimits | None = None) -> tuple[Table, str, bool]:
    return tabular.read_table(path, sheet=SHEET_NAME, limits=limits)


def _find_header(rows: Table) -> tuple[int, dict[str, int]] | None:
    """The heading row (a title line may stand above it) and each known column's position."""
    return find_header(rows, _HEADINGS, lambda found: len(found) >= 3 or ("団体名" in found and len(found) >= 2))


# --------------------------------------------------------------------------- judging rows

_DASHES_RE = re.compile(r"[‐‑‒–—―−－ｰー]")
_COUNTER_RE = re.compile(r"\s*(名|人|団体)$")
_KANJI_RE = re.compile(r"[\u4e00-\u9fff]")
_LIMITS = {"登録番号": 20, "団体名": 200, "フリガナ": 400, "代表者": 100, "電話番号": 40, "連絡担当者": 100,
           "連絡先電話": 40, "メール": 200, "住所": 300, "活動場所": 200}
# validate_registration's field → our column, for the final check of a row.
_FIELD_COLUMN = {"name": "団体名", "kana": "フリガナ", "group_type": "区分", "district": "地区",
                 "activity_fields": "活動分野", "representative": "代表者", "phone": "電話番号",
                 "members": "会員数", "email": "メール", "declarations": ""}
ALL_DECLARED = {k: True for k in DECLARATIONS}
MAX_MEMBERS = 99_999  # the register form's 会員数 spin box maximum


@dataclass
class _Row(GroupInput):
    """A row of the register: the registration form's fields (read cell by cell, so they start
    blank) plus the register's own columns. Being a GroupInput, it goes straight to the ordinance's
    check, with the declarations taken as made at first registration."""

    row: int = field(kw_only=True)
    name: str = ""
    kana: str = ""
    declarations: dict[str, bool] = field(default_factory=lambda: dict(ALL_DECLARED))
    reg_no: str = ""
    registered_on: date | None = None
    valid_until: date | None = None
    given_status: str = ""  # as written in 状態, '' when blank
    status: str = GroupStatus.ACTIVE.value
    status_reason: str = ""
    note: str = ""
    existing: MemberGroup | None = None
    bad: bool = False

    def values(self) -> dict[str, Any]:
        """The stored fields this row sets, as MemberGroup attributes."""
        return {
            "reg_no": self.reg_no or None, "name": self.name, "kana": self.kana,
            "group_type": self.group_type,
            "is_machizukuri": self.is_machizukuri, "district": self.district if self.is_machizukuri else "",
            "activity_fields": list(self.activity_fields), "representative": self.representative,
            "phone": self.phone, "contact_name": self.contact_name, "contact_phone": self.contact_phone,
            "email": self.email, "address": self.address, "meeting_place": self.meeting_place,
            "members": self.members, "registered_on": self.registered_on, "valid_until": self.valid_until,
            "status": self.status, "status_reason": self.status_reason, "note": self.note,
        }


# MemberGroup attribute → the column staff see, for "what changes" in the preview.
_ATTR_COLUMN = {"reg_no": "登録番号", "name": "団体名", "kana": "フリガナ", "group_type": "区分",
                "is_machizukuri": "まちづくり協議会", "district": "地区", "activity_fields": "活動分野",
                "representative": "代表者", "phone": "電話番号", "contact_name": "連絡担当者",
                "contact_phone": "連絡先電話", "email": "メール", "address": "住所", "meeting_place": "活動場所",
                "members": "会員数", "registered_on": "登録日", "valid_until": "有効期限", "status": "状態",
                "status_reason": "状態の理由", "note": "備考"}


def _phone(text: str) -> str:
    """'０８３－２５５－１２３４' → '083-255-1234': width folded, every dash a hyphen."""
    return re.sub(r"\s+", " ", _DASHES_RE.sub("-", unicodedata.normalize("NFKC", text))).strip()


class _Checker(RowChecker):
    """Reads and judges the rows, collecting every error and notice instead of stopping at the first."""

    def __init__(self, report: GroupImportReport, today: date) -> None:
        self.report = report
        self.today = today

    def parse(self, number: int, get: Callable[[str], Any]) -> _Row:
        r = _Row(row=number)
        for column, value in (("団体名", get("団体名")), ("代表者", get("代表者")), ("連絡担当者", get("連絡担当者")),
                              ("住所", get("住所")), ("活動場所", get("活動場所"))):
            text = cell_text(value)
            if column in ("団体名", "代表者") and not text:
                what = "団体名" if column == "団体名" else "代表者名"
                self.error(r, column, f"{what}がありません。")
            setattr(r, {"団体名": "name", "代表者": "representative", "連絡担当者": "contact_name",
                        "住所": "address", "活動場所": "meeting_place"}[column], text)
        self._reg_no(r, get("登録番号"))
        self._kana(r, get("フリガナ"))
        self._type(r, get("区分"), get("まちづくり協議会"), get("地区"))
        self._fields(r, get("活動分野"))
        r.phone = _phone(cell_text(get("電話番号")))
        r.contact_phone = _phone(cell_text(get("連絡先電話")))
        for column, phone in (("電話番号", r.phone), ("連絡先電話", r.contact_phone)):
            if phone and not digits_only(phone):
                self.error(r, column, f"「{phone}」は電話番号として読めません（例：083-231-1234）。")
        if not (r.phone or r.contact_phone or cell_text(get("メール"))):
            self.error(r, "電話番号", "連絡先（電話番号・連絡先電話・メールのいずれか）がありません。")
        r.email = unicodedata.normalize("NFKC", cell_text(get("メール"))).strip()
        self._members(r, get("会員数"))
        self._dates(r, get("登録日"), get("有効期限"))
        self._status(r, get("状態"), get("状態の理由"))
        r.note = "" if get("備考") is None else str(get("備考")).strip()
        for column, attr in (("登録番号", "reg_no"), ("団体名", "name"), ("フリガナ", "kana"), ("代表者", "representative"),
                             ("電話番号", "phone"), ("連絡担当者", "contact_name"), ("連絡先電話", "contact_phone"),
                             ("メール", "email"), ("住所", "address"), ("活動場所", "meeting_place")):
            if len(getattr(r, attr)) > _LIMITS[column]:
                self.error(r, column, f"{column}が長すぎます（{_LIMITS[column]}文字まで）。")
        if not r.bad:
            self._as_registration(r)
        return r

    def _reg_no(self, r: _Row, value: Any) -> None:
        reg = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value)))
        if reg.isdigit() and len(reg) < 4:
            # Excel drops the leading zeros of a number cell: 14 is the register's '0014'.
            reg = reg.zfill(4)
        r.reg_no = reg
        if len(digits_only(reg)) > 9:
            # Bad-input fix (issue 7): the next free number is counted from the highest one imported;
            # a 20-digit number overflowed that counter (an uncaught OverflowError/DataError).
            self.error(r, "登録番号", f"登録番号「{reg}」の数字が長すぎます（9桁まで）。")

    def _kana(self, r: _Row, value: Any) -> None:
        # NFKC: half-width ｶﾀｶﾅ from an old sheet becomes the full-width カタカナ the register uses.
        r.kana = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", cell_text(value))).strip()
        if not r.kana:
            self.error(r, "フリガナ", "フリガナがありません。")
        elif _KANJI_RE.search(r.kana):
            self.notice(r.row, "フリガナ", f"フリガナ「{r.kana}」に漢字が含まれています。読みを確かめてください。")

    def _type(self, r: _Row, type_value: Any, machi_value: Any, district_value: Any) -> None:
        label = fold(cell_text(type_value))
        if label:
            gt = _TYPE_BY_LABEL.get(label)
            if gt is None:
                self.error(r, "区分", f"区分「{cell_text(type_value)}」がわかりません（目的型・地縁型・その他）。")
            else:
                r.group_type = gt
        mark = fold(cell_text(machi_value))
        if mark in _YES:
            r.is_machizukuri = True
        elif mark not in _NO:
            self.error(r, "まちづくり協議会", f"「{cell_text(machi_value)}」がわかりません（該当なら○、でなければ空欄）。")
        district = unicodedata.normalize("NFKC", cell_text(district_value)).strip()
        if district.endswith("地区") and district[:-2] in MACHIZUKURI_DISTRICTS:
            district = district[:-2]
        r.district = district
        if r.is_machizukuri:
            if not district:
                self.error(r, "地区", "まちづくり協議会の地区がありません。")
            elif district not in MACHIZUKURI_DISTRICTS:
                self.error(r, "地区", f"地区「{district}」がわかりません（{'・'.join(MACHIZUKURI_DISTRICTS)}）。")
        elif district:
            self.notice(r.row, "地区", f"まちづくり協議会ではないため、地区「{district}」は取り込みません。")

    def _fields(self, r: _Row, value: Any) -> None:
        text = cell_text(value)
        found, unknown = parse_activity_fields(text)
        for part in unknown:
            self.error(r, "活動分野", f"活動分野「{part}」がわかりません。NPO法の20分野の名前で書いてください"
                                    "（例：保健・医療・福祉、まちづくり、子どもの健全育成）。")
        if not text:
            self.error(r, "活動分野", "活動分野がありません（1つ以上）。")
        r.activity_fields = found

    def _members(self, r: _Row, value: Any) -> None:
        if isinstance(value, bool):
            value = None
        if isinstance(value, int | float):
            # Bad-input fix (issue 7): at most MAX_MEMBERS, as the register form allows; a huge number
            # overflowed the INTEGER column (OverflowError on SQLite, DataError on PostgreSQL).
            if float(value).is_integer() and 1 <= value <= MAX_MEMBERS:
                r.members = int(value)
                return
            self.error(r, "会員数", f"会員数「{cell_text(value)}」は1以上の整数にしてください。")
            return
        text = _COUNTER_RE.sub("", unicodedata.normalize("NFKC", cell_text(value)).replace(",", ""))
        if not text:
            return
        if text.isdecimal() and 1 <= int(text) <= MAX_MEMBERS:  # bad-input fix (issue 7), see above
            r.members = int(text)
        else:
            self.error(r, "会員数", f"会員数「{cell_text(value)}」は数として読めません（例：32、３２名）。")

    def _dates(self, r: _Row, reg_value: Any, until_value: Any) -> None:
        bad_before = r.bad
        r.registered_on = self.parsed(r, "登録日", cell_date, reg_value)
        r.valid_until = self.parsed(r, "有効期限", cell_date, until_value)
        if r.bad and not bad_before:
            return
        if r.registered_on is None:
            self.error(r, "登録日", "登録日がありません（例：2024/04/01、令和6年4月1日）。")
            return
        if r.registered_on > self.today:
            self.error(r, "登録日", f"登録日{jcal.format_slash(r.registered_on)}が今日より後になっています。")
            return
        if r.valid_until is None:
            r.valid_until = validity_end(r.registered_on)
        elif r.valid_until < r.registered_on:
            self.error(r, "有効期限", f"有効期限{jcal.format_slash(r.valid_until)}が登録日"
                                    f"{jcal.format_slash(r.registered_on)}より前になっています。")
        elif (r.valid_until.month, r.valid_until.day) != (3, 31):
            self.notice(r.row, "有効期限", f"有効期限{jcal.format_slash(r.valid_until)}が年度末（3月31日）ではありません。"
                                         "書かれた日付で取り込みます。")

    def _status(self, r: _Row, status_value: Any, reason_value: Any) -> None:
        label = fold(cell_text(status_value))
        reason = cell_text(reason_value)
        if label:
            given = _STATUS_BY_LABEL.get(label)
            if given is None:
                self.error(r, "状態", f"状態「{cell_text(status_value)}」がわかりません"
                                    f"（{'・'.join(GROUP_STATUS_LABELS.values())}、または空欄）。")
                return
            r.given_status = given
        if r.given_status in (GroupStatus.SUSPENDED.value, GroupStatus.DEREGISTERED.value):
            if not reason:
                self.error(r, "状態の理由", f"{GroupStatus(r.given_status).label}の団体は理由を書いてください。")
                return
            r.status, r.status_reason = r.given_status, reason
            return
        if reason:
            self.notice(r.row, "状態の理由", "状態の理由は停止・抹消の団体だけに残します。この行の理由は取り込みません。")
        if r.valid_until is None:
            return
        stored = r.given_status or GroupStatus.ACTIVE.value
        r.status = effective_status(stored, r.valid_until, self.today).value
        if r.given_status and r.given_status != r.status:
            self.notice(r.row, "状態", f"状態は「{GroupStatus(r.given_status).label}」ですが、有効期限"
                                     f"{jcal.format_slash(r.valid_until)}から"
                                     f"「{GroupStatus(r.status).label}」として取り込みます。")

    def _as_registration(self, r: _Row) -> None:
        """The ordinance's own check, with the declarations taken as made at first registration."""
        try:
            validate_registration(r)
        except ValidationError as exc:
            self.error(r, _FIELD_COLUMN.get(exc.field or "", ""), exc.message)

    # -- across rows and against the database --

    def match(self, rows: list[_Row], groups: list[MemberGroup]) -> None:
        """Numbers unique in the file and never reused; likely duplicates noticed."""
        by_reg = {g.reg_no: g for g in groups if g.reg_no}
        first_row_of_reg: dict[str, int] = {}
        for r in rows:
            if not r.reg_no:
                continue
            if r.reg_no in first_row_of_reg:
                self.error(r, "登録番号", f"登録番号{r.reg_no}が{first_row_of_reg[r.reg_no]}行目と重複しています。"
                                      "番号は団体ごとに1つです。")
                continue
            first_row_of_reg[r.reg_no] = r.row
            g = by_reg.get(r.reg_no)
            if g is None:
                continue
            if search_key(g.name) != search_key(r.name):
                self.error(r, "登録番号", f"登録番号{r.reg_no}は既に別の団体「{g.name}」に使われています（番号は再利用できません）。"
                                      "同じ団体なら団体名を合わせ、別の団体なら登録番号を空欄にしてください。")
                continue
            if g.status == GroupStatus.DEREGISTERED.value and r.status != GroupStatus.DEREGISTERED.value \
                    and r.given_status:
                self.error(r, "状態", f"登録番号{r.reg_no}「{g.name}」は抹消されています。抹消した団体は元に戻せません"
                                    "（新しく登録してください）。")
                continue
            r.existing = g
        self._duplicates(rows, groups)

    def _duplicates(self, rows: list[_Row], groups: list[MemberGroup]) -> None:
        db_names: dict[str, MemberGroup] = {}
        db_people: dict[tuple[str, str], MemberGroup] = {}
        for g in groups:
            db_names.setdefault(search_key(g.name), g)
            for phone in (g.phone, g.contact_phone):
                if digits_only(phone) and g.representative:
                    db_people.setdefault((search_key(g.representative), digits_only(phone)), g)
        file_names: dict[str, _Row] = {}
        file_people: dict[tuple[str, str], _Row] = {}
        for r in rows:
            if r.bad:
                continue
            name_key = search_key(r.name)
            people = [(search_key(r.representative), digits_only(p)) for p in (r.phone, r.contact_phone)
                      if digits_only(p) and r.representative]
            if name_key in file_names:
                other = file_names[name_key]
                self.notice(r.row, "団体名", f"{other.row}行目の「{other.name}」と同じ団体名です（重複の可能性）。")
            else:
                file_names[name_key] = r
                same_name = db_names.get(name_key)
                if same_name is not None and same_name is not r.existing:
                    self.notice(r.row, "団体名", f"登録済みの団体（登録番号{same_name.reg_no or 'なし'}「{same_name.name}」）と同じ団体名です"
                                               "（重複の可能性）。")
            for key in people:
                if key in file_people and file_people[key] is not r:
                    other = file_people[key]
                    self.notice(r.row, "代表者", f"{other.row}行目の「{other.name}」と代表者・電話番号が同じです（重複の可能性）。")
                    break
                same_person = db_people.get(key)
                if same_person is not None and same_person is not r.existing and search_key(same_person.name) != name_key:
                    self.notice(r.row, "代表者", f"登録済みの団体（登録番号{same_person.reg_no or 'なし'}「{same_person.name}」）と"
                                               "代表者・電話番号が同じです（重複の可能性）。")
                    break
            for key in people:
                file_people.setdefault(key, r)


def _changes(g: MemberGroup, values: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for attr, value in values.items():
        current = getattr(g, attr)
        if attr == "activity_fields":
            current = list(current or [])
        if attr in ("note", "status_reason"):
            current = current or ""
        if current != value:
            out.append(_ATTR_COLUMN[attr])
    return tuple(out)


def _snapshot(g: MemberGroup) -> dict[str, Any]:
    return {attr: (list(getattr(g, attr) or []) if attr == "activity_fields" else getattr(g, attr))
            for attr in _ATTR_COLUMN}


# --------------------------------------------------------------------------- the use cases


def _parse_register(report: GroupImportReport, path: Path, today: date,
                    limits: ImportLimits) -> list[_Row] | None:
    """Read the register within ``limits`` and judge each row on its own (no database): None when there is
    nothing to judge further."""
    opened = open_table(report, path, sheet=SHEET_NAME, find=_find_header,
                        headings="登録番号・団体名・フリガナ・活動分野・代表者・登録日", limits=limits)
    if opened is None:
        return None
    table, header_index, positions = opened
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        report.errors.append(GroupImportIssue(table[header_index][0], "",
                                              f"必須の列「{'」「'.join(missing)}」がありません。見出しの行に加えてください。"))
        return None
    rows = parse_rows(report, table, header_index, positions, _Checker(report, today).parse)
    return rows or None


_Plan = list[tuple[_Row, dict[str, Any], tuple[str, ...]]]


def _judge_register(report: GroupImportReport, rows: list[_Row], groups: list[MemberGroup], today: date) -> _Plan:
    """Against the register in the database: numbers, duplicates, and what each row creates or changes."""
    _Checker(report, today).match(rows, groups)
    report.sort_issues()
    plan: _Plan = []
    for r in rows:
        values = r.values()
        if r.existing is not None:
            if not r.given_status and r.existing.status in (GroupStatus.SUSPENDED.value,
                                                            GroupStatus.DEREGISTERED.value):
                # A blank 状態 leaves a manager's decision standing.
                values["status"], values["status_reason"] = r.existing.status, r.existing.status_reason or ""
            if to_hiragana(values["kana"]) == to_hiragana(r.existing.kana or ""):
                # The same reading in the other script (the export writes katakana): keep it as typed.
                values["kana"] = r.existing.kana
            changes = _changes(r.existing, values)
            if changes:
                report.updated.append(PlannedChange(r.row, r.reg_no, r.name, values["status"], changes))
            else:
                report.unchanged += 1
        else:
            report.created.append(PlannedChange(r.row, r.reg_no, r.name, values["status"]))
            changes = ()
        plan.append((r, values, changes))
    return plan


def _write_register(session: Session, actor: Actor, report: GroupImportReport, rows: list[_Row], plan: _Plan,
                    groups: list[MemberGroup], now: datetime, source: str) -> GroupImportReport:
    """The write itself (nothing is read from the file here)."""
    reason = f"団体名簿「{source}」の取込"
    highest = max([int(d) for g in groups if g.reg_no and (d := digits_only(g.reg_no))]
                  + [int(d) for r in rows if r.reg_no and (d := digits_only(r.reg_no))] + [0])
    made: list[tuple[MemberGroup, _Row]] = []
    touched: list[MemberGroup] = []
    for r, values, changes in plan:
        if r.existing is None:
            g = MemberGroup(created_at=now, created_by=actor.id, declarations=dict(ALL_DECLARED), **values)
            if not g.reg_no:
                n = next_number(session, REG_NO_SEQUENCE, start_from=highest + 1)
                while n <= highest:  # the counter predates numbers imported since
                    n = next_number(session, REG_NO_SEQUENCE)
                g.reg_no = f"{n:04d}"
            made.append((g, r))
            touched.append(g)
            continue
        g = r.existing
        touched.append(g)
        if not changes:
            continue
        before = _snapshot(g)
        old_status = g.status
        for attr, value in values.items():
            setattr(g, attr, value)
        g.updated_at, g.updated_by = now, actor.id
        if old_status != g.status:
            session.add(GroupStatusChange(group_id=g.id, at=now, staff_id=actor.id, old_status=old_status,
                                          new_status=g.status, reason=reason))
        audit(session, actor, "update", "group", g.id, f"団体「{g.name}」の登録内容を{reason}で変更"
              f"（{'、'.join(changes)}）", before=before, after=_snapshot(g), now=now)
    session.add_all(g for g, _ in made)
    session.flush()
    for g, r in made:
        why = reason
        if g.status == GroupStatus.EXPIRED.value:
            assert g.valid_until is not None  # EXPIRED is decided from the date
            why += f"（有効期限{jcal.format_slash(g.valid_until)}が過ぎています）"
        session.add(GroupStatusChange(group_id=g.id, at=now, staff_id=actor.id, old_status=None,
                                      new_status=g.status, reason=why))
    report.created = [PlannedChange(c.row, g.reg_no or "", c.name, c.status)  # every new group was numbered
                      for c, (g, _) in zip(report.created, made, strict=True)]
    report.group_ids = tuple(g.id for g in touched)
    report.written = True
    audit(session, actor, "import", "group", None,
          f"{reason}：新規{len(report.created)}団体、更新{len(report.updated)}団体、変更なし{report.unchanged}団体",
          after={"file": source, "rows": report.rows, "created": [c.reg_no for c in report.created],
                 "updated": [c.reg_no for c in report.updated], "unchanged": report.unchanged,
                 "warnings": [str(w) for w in report.warnings]}, now=now)
    session.flush()
    return report


def import_groups(session: Session, actor: Actor, path: Path, *, dry_run: bool,
                  now: datetime | None = None, limits: ImportLimits | None = None) -> GroupImportReport:
    """Import the register at ``path`` (.xlsx or .csv) in ``session``: all rows or none.

    Returns the report; when ``report.errors`` is not empty nothing was written. Raises a DomainError
    only when the file cannot be read at all or lies beyond the import limits (``limits``, the centre's when
    None), or the actor is not a manager. Everything happens in the caller's transaction; terminals use
    :func:`import_groups_file`, which reads and checks the file before taking any write lock.
    """
    require_manager(session, actor, "団体名簿の取込")
    limits = limits or get_import_limits(session)
    now = now or local_now()
    path = Path(path)
    report = GroupImportReport(path=str(path), dry_run=dry_run)
    rows = _parse_register(report, path, now.date(), limits)
    if rows is None:
        return report
    groups = list(session.scalars(select(MemberGroup)))
    plan = _judge_register(report, rows, groups, now.date())
    if report.errors or dry_run:
        return report
    return _write_register(session, actor, report, rows, plan, groups, now, path.name)


def _check_register(engine: Engine, actor: Actor, path: Path, now: datetime, limits: ImportLimits | None
                    ) -> tuple[GroupImportReport, list[_Row] | None, list[GroupImportIssue]]:
    """The check phase of :func:`import_groups_file`: the report, the parsed rows and the notices of the
    rows on their own (those of the match are made again by the write)."""
    from booking_app.store.engine import read_session

    with read_session(engine) as session:
        require_manager(session, actor, "団体名簿の取込")
        limits = limits or get_import_limits(session)
    report = GroupImportReport(path=str(path), dry_run=True)
    rows = _parse_register(report, path, now.date(), limits)  # no transaction open while the file is read
    if rows is None:
        return report, None, []
    parse_warnings = list(report.warnings)
    with read_session(engine) as session:
        groups = list(session.scalars(select(MemberGroup)))
        _judge_register(report, rows, groups, now.date())
    return report, rows, parse_warnings


def import_groups_file(engine: Engine, actor: Actor, path: Path, *, dry_run: bool,
                       now: datetime | None = None, limits: ImportLimits | None = None) -> GroupImportReport:
    """:func:`import_groups` in units of its own (issue 15): the file is read and each row judged outside
    any transaction, the whole judged against the register in a read session, and the write is one short
    write session that judges the rows again against the register as it is then (another terminal may have
    registered a group meanwhile). No write lock is held while the file is read."""
    from booking_app.store.engine import write_session

    now = now or local_now()
    path = Path(path)
    report, rows, parse_warnings = _check_register(engine, actor, path, now, limits)
    report.dry_run = dry_run
    if rows is None or report.errors or dry_run:
        return report
    with write_session(engine) as session:
        require_manager(session, actor, "団体名簿の取込")
        groups = list(session.scalars(select(MemberGroup)))
        report.warnings = parse_warnings
        report.created, report.updated, report.unchanged = [], [], 0
        for r in rows:
            r.existing, r.bad = None, False
        plan = _judge_register(report, rows, groups, now.date())
        if report.errors:
            return report  # changed meanwhile: the new verdict, nothing written
        return _write_register(session, actor, report, rows, plan, groups, now, path.name)


def katakana(text: str) -> str:
    """Hiragana to katakana (ゝゞ too), everything else as it is: the register's フリガナ column is
    written in katakana whatever script the counter typed the reading in (issue 13, item 17)."""
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" or c in "ゝゞ" else c for c in text)


def _export_rows(session: Session, today: date) -> list[list[Any]]:
    rows = []
    groups = session.scalars(select(MemberGroup).where(MemberGroup.reg_no.is_not(None))
                             .order_by(MemberGroup.reg_no, MemberGroup.id))
    for g in groups:
        status = effective_status(g.status, g.valid_until, today)
        rows.append([
            g.reg_no, g.name, katakana(g.kana or ""), GROUP_TYPES.get(g.group_type, g.group_type),
            MACHIZUKURI_MARK if g.is_machizukuri else "", g.district if g.is_machizukuri else "",
            "、".join(g.activity_fields or []), g.representative, g.phone, g.contact_name, g.contact_phone,
            g.email, g.address, g.meeting_place, g.members, g.registered_on, g.valid_until, status.label,
            g.status_reason if status in (GroupStatus.SUSPENDED, GroupStatus.DEREGISTERED) else "",
            g.note or "",
        ])
    return rows


_WIDTHS = {"登録番号": 10, "団体名": 34, "フリガナ": 36, "区分": 8, "まちづくり協議会": 10, "地区": 8, "活動分野": 40,
           "代表者": 14, "電話番号": 15, "連絡担当者": 14, "連絡先電話": 15, "メール": 28, "住所": 36, "活動場所": 20,
           "会員数": 8, "登録日": 12, "有効期限": 12, "状態": 10, "状態の理由": 24, "備考": 36}
_TEXT_COLUMNS = {"登録番号", "電話番号", "連絡先電話"}


def export_groups(session: Session, actor: Actor, path: Path, *, today: date | None = None,
                  file_name: str | None = None) -> int:
    """Write the register to ``path`` (.csv as UTF-8 with BOM so Excel reads it right, or .xlsx).

    Every registered group (with a number), in number order, with the columns the import reads; the
    状態 column says what the counter would say today. Returns the number of groups written.
    Managers only: the register carries representatives' names, addresses and telephone numbers.
    The export is recorded in the audit trail (what, how many, which file; never the data itself),
    so call it in a write transaction; ``file_name`` is the name to record when ``path`` is a temporary file.
    """
    require_manager(session, actor, "登録団体名簿の書き出し")
    path = Path(path)
    today = today or local_now().date()
    rows = _export_rows(session, today)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # Through the one table writer: a name typed as '=…' stays text in Excel (CSV injection).
        path.write_bytes(table_writer.csv_bytes([EXPORT_COLUMNS, *rows]))
    elif suffix == ".xlsx":
        path.write_bytes(_xlsx_bytes(rows, today))
    else:
        raise ValidationError(f"「{path.name}」には書き出せません。.csv か .xlsx を指定してください。", field="file")
    name = file_name or path.name
    audit(session, actor, "export", "member_group", None, f"登録団体名簿を書き出し（{len(rows)}団体、{name}）",
          after={"file": name, "rows": len(rows)})
    return len(rows)


def _xlsx_bytes(rows: list[list[Any]], today: date) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.xml.constants import ARC_CORE
    from openpyxl.xml.functions import tostring

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(list(EXPORT_COLUMNS))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(horizontal="center")
    date_cols = {EXPORT_COLUMNS.index(c) for c in ("登録日", "有効期限")}
    text_cols = {EXPORT_COLUMNS.index(c) for c in _TEXT_COLUMNS}
    for n, values in enumerate(rows, start=2):
        ws.append(["" if v is None and i not in date_cols else v for i, v in enumerate(values)])
        for i in date_cols:
            ws.cell(n, i + 1).number_format = "yyyy/mm/dd"
        for i in text_cols:
            ws.cell(n, i + 1).number_format = "@"  # text, so 0001 keeps its zeros if retyped
    for i, name in enumerate(EXPORT_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS[name]
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(EXPORT_COLUMNS))}{len(rows) + 1}"
    # Fixed document times (the export day) and zip entry times: the same register exported twice
    # on one day gives the same bytes, which makes a round trip checkable.
    stamp = datetime(today.year, today.month, today.day)
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = "ふくふくデスク"
    table_writer.neutralise_workbook(wb)  # a group named '=…' is text, never a formula
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl's save stamps 'modified' with the current second, whatever we set; so the
    # document properties are written again with the export day (else two exports a second
    # apart differ, and the round trip test flickers).
    wb.properties.modified = stamp
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, core if info.filename == ARC_CORE else src.read(info.filename))
    return out.getvalue()


# --------------------------------------------------------------------------- command line


def register_cli(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
                 parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``import-groups FILE [--dry-run]`` and ``export-groups FILE`` to the app's command line.

    ``parents`` are the parsers of the options every command shares (cli.py's ``--db``/``--staff``).
    Each sub-command sets ``args.handler(args, engine, actor) -> int`` (the exit code); cli.py runs it
    after the sign-in (booking_app/cli_signin.py: ``actor`` is who signed in; issue 15) and its usual
    start-up (migrate, ensure_initial_data).
    """
    p = subparsers.add_parser("import-groups", parents=list(parents), help="登録団体名簿（Excel・CSV）を取り込む",
                              description="登録団体名簿を取り込みます。1行でも誤りがあれば何も取り込みません。")
    p.add_argument("file", metavar="FILE", type=Path, help="名簿のファイル（.xlsx、または UTF-8/Shift_JIS の .csv）")
    p.add_argument("--dry-run", action="store_true", help="確認のみ：取り込む内容とエラーを表示し、書き込まない")
    p.set_defaults(handler=cli_import_groups)
    p = subparsers.add_parser("export-groups", parents=list(parents), help="登録団体名簿を書き出す（Excel・CSV）",
                              description="登録団体名簿を、取込と同じ列で書き出します。")
    from booking_app.output_files import add_force_option, output_path_arg

    p.add_argument("file", metavar="FILE", type=output_path_arg(".xlsx", ".csv"), help="書き出すファイル（.xlsx または .csv）")
    add_force_option(p)
    p.set_defaults(handler=cli_export_groups)


# What the commands run on: an Engine, or a sessionmaker (anything that makes a Session).
CliTarget = Engine | Callable[[], Session]


def _session_scope(target: CliTarget, *, write: bool = True) -> AbstractContextManager[Session]:
    """A transaction from an Engine, or from a sessionmaker (anything that makes a Session)."""
    from contextlib import contextmanager

    from sqlalchemy import Engine

    from booking_app.store.engine import read_session, write_session

    if isinstance(target, Engine):
        return write_session(target) if write else read_session(target)

    @contextmanager
    def scope() -> Iterator[Session]:
        with target() as session, session.begin():
            yield session

    return scope()


def _cli_now(args: argparse.Namespace) -> datetime | None:
    today = getattr(args, "today", None)  # cli.py's hidden --today, for demonstrations and tests
    return datetime.combine(today, datetime.min.time()).replace(hour=9) if today else None


def cli_import_groups(args: argparse.Namespace, target: CliTarget, actor: Actor) -> int:
    """``import-groups FILE [--dry-run]``: the report on stdout, or on stderr with exit 1 if any error."""
    from sqlalchemy import Engine

    try:
        if isinstance(target, Engine):
            # The file is read and checked before any write lock; the write is one short transaction.
            report = import_groups_file(target, actor, args.file, dry_run=args.dry_run, now=_cli_now(args))
        else:
            with _session_scope(target) as session:
                # A report with errors has written nothing, so the commit on leaving is empty.
                report = import_groups(session, actor, args.file, dry_run=args.dry_run, now=_cli_now(args))
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    out = sys.stdout if report.ok else sys.stderr
    for text in report.summary_lines():
        print(text, file=out)
    if report.written:
        print(f"担当者：{actor.name}")
    return 0 if report.ok else 1


def cli_export_groups(args: argparse.Namespace, target: CliTarget, actor: Actor) -> int:
    """``export-groups FILE``: every registered group, in number order (a manager, signed in by cli.py)."""
    from booking_app.output_files import check_destination, written_output

    now = _cli_now(args)
    force = getattr(args, "force", False)
    try:  # written like every command's output file (booking_app/output_files.py)
        check_destination(args.file, force=force)
        with written_output(args.file, force=force, suffixes=(".xlsx", ".csv")) as written, \
                _session_scope(target, write=True) as session:  # the export's audit entry is a write
            n = export_groups(session, actor, written.temp, today=now.date() if now else None,
                              file_name=Path(args.file).name)
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"「{args.file}」に書き出せません（{exc.strerror or exc}）。"
              "フォルダがあるか、Excelで開いたままでないか確かめてください。", file=sys.stderr)
        return 1
    for note in written.notes():
        print(note, file=sys.stderr)
    print(f"登録団体{n}団体を「{args.file}」に書き出しました。")
    return 0


__all__ = ["GroupImportIssue", "GroupImportReport", "PlannedChange", "import_groups", "import_groups_file", "export_groups",
           "parse_activity_fields", "register_cli", "EXPORT_COLUMNS", "REQUIRED"]
