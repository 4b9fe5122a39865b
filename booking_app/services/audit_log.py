"""Reading the audit trail (操作履歴): who changed what, when, with before and after.

The trail is append-only. Every service writes it through :func:`services.common.audit` inside its
own transaction; this module only reads it (and records its own exports), it never updates or
deletes a row, so what a manager sees is what happened. The database refuses UPDATE, DELETE and
TRUNCATE of ``audit_log`` (migration 0008), and each row carries a hash chain
(``store/audit_chain.py``) that :func:`verify_chain` checks (``verify-audit``, 「改ざんの確認」).

Entity and action names are the English keys the services pass to ``audit()``; they get Japanese
labels here, and a name this module does not know yet (a newer service) is shown as it is.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar, Unpack

from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.orm import Session

from booking_app.domain.booking_rules import STATUS_LABELS
from booking_app.domain.errors import ValidationError
from booking_app.services import table_writer
from booking_app.services.text_search import contains
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.store import audit_chain
from booking_app.store.models import AuditEntry, Staff

ENTITY_LABELS: dict[str, str] = {
    "booking": "予約",
    "series": "繰り返し予約",
    "group": "団体",
    "member_group": "団体",
    "receipt": "領収書",
    "charge": "料金",
    "payment": "支払",
    "printing_log": "印刷機",
    "day_closing": "日計",
    "month_closing": "月次締め",
    "fees": "料金表",
    "insurance_plan": "保険プラン",
    "insurance_enrolment": "保険加入",
    "accident_report": "事故報告",
    "walkin_tally": "来館者カウント",
    "centre_event": "行事",
    "stat_amendment": "統計の修正",
    "targets": "目標",
    "centre_profile": "センター設定",
    "room": "部屋",
    "equipment": "備品",
    "staff": "担当者",
    "terminal": "端末",
    "settings": "設定",
    "backup": "バックアップ",
    "demo": "デモデータ",
    "audit": "操作履歴",
    "statistics": "統計",
    "lottery_entry": "抽選の申込",
    "lottery_draw": "抽選",
    "waitlist_entry": "キャンセル待ち",
    "refund": "還付",
}

ACTION_LABELS: dict[str, str] = {
    "create": "登録",
    "update": "変更",
    "cancel": "取消",
    "confirm": "確定",
    "check_in": "利用開始",
    "check_out": "利用終了",
    "no_show": "無断キャンセル",
    "undo": "元に戻す",
    "expire": "期限切れ",
    "status": "状態変更",
    "renew": "更新",
    "verify": "確認",
    "import": "取込",
    "export": "書き出し",
    "print": "印刷",
    "quote": "料金計算",
    "pay": "入金",
    "void": "取消・返金",
    "reissue": "再発行",
    "close": "締め",
    "send": "送付",
    "add_people": "加入者追加",
    "remove_person": "加入者削除",
    "tally": "カウント",
    "amend": "修正",
    "seed_demo": "デモ作成",
    "login": "ログイン",
    "logout": "ログアウト",
    "create_admin": "管理者作成",
    "create_login": "ログイン作成",  # a staff member's own PostgreSQL login
    "reset_password": "パスワード再設定",
    "change_password": "パスワード変更",
    "unlock": "ロック解除",
    "lock": "ロック",
    "delete": "削除",
    "restore": "復元",
    "backup": "バックアップ",
    "denied": "拒否",  # a write refused for the staff member's real role
    "anonymise": "匿名化",  # personal data erased (services/privacy.py)
    "withdraw": "取下げ",  # a lottery entry withdrawn before the draw (services/lottery.py)
    "draw": "抽選の実施",
    "offer": "連絡",  # キャンセル待ち: the slot offered to the next in line (services/waitlist.py)
    "accept": "承諾",
    "decline": "辞退",
    "refund": "還付",  # services/refunding.py
}

# Keys of the services' snapshots (bookings.snapshot, groups._snapshot, …) in the desk's words.
FIELD_LABELS: dict[str, str] = {
    "room_id": "部屋", "start": "開始", "end": "終了", "status": "状態", "booker_kind": "利用者区分",
    "group_id": "団体", "booker_name": "利用者名", "purpose": "利用目的", "attendees": "人数",
    "actual_users": "実利用人数", "equipment": "備品", "hold_until": "仮予約の期限",
    "status_reason": "理由", "override_reason": "例外の理由", "series_id": "繰り返し予約",
    "reg_no": "登録番号", "name": "名称", "kana": "ふりがな", "group_type": "団体の種類",
    "is_machizukuri": "まちづくり団体", "district": "地区", "activity_fields": "活動分野",
    "registered_on": "登録日", "valid_until": "有効期限", "representative": "代表者", "phone": "電話",
    "contact_name": "連絡担当者", "contact_phone": "連絡先電話", "email": "メール", "address": "住所",
    "meeting_place": "活動場所", "members": "会員数", "note": "備考", "capacity": "定員",
    "sort_order": "表示順", "active": "有効", "stock": "在庫数", "unit": "単位", "role": "権限",
    "total": "合計", "refund": "返金額", "receipt_no": "領収書番号", "charges": "請求明細",
    "terminal": "端末", "booking_id": "予約", "created": "作成", "cancelled": "取消", "skipped": "除外",
    "rule": "繰り返しの規則", "premium": "保険料", "cover_start": "補償開始", "cover_end": "補償終了",
    "fiscal_year": "年度", "plan": "プラン", "people": "加入者数", "head_count": "人数",
    "deadline": "期限", "sent_on": "送付日", "received": "入金", "refunded": "返金", "net": "差引",
    "by_method": "支払方法別", "by_kind": "種類別", "cash_expected": "現金の予定額",
    "receipt_count": "領収書件数", "void_count": "取消件数", "locked_until": "ロック期限",
    "file": "ファイル", "rows": "件数", "filter": "条件", "codes": "コード", "recharged": "再請求",
    "enrolment_id": "保険加入", "reason": "理由", "method": "支払方法", "amount": "金額", "quantity": "数量",
    "fields": "消去した項目数",  # 匿名化
    "value": "数値", "key": "訂正した項目",
    "reduction_code": "減免区分", "reduction_approved_by": "減免の承認者", "reply_by": "回答期限",
    "refund_no": "還付番号", "rate": "還付率", "paid": "支払額", "refunded_before": "還付済み",
    "receipt_id": "領収書",  # QA: a statistics amendment showed 「value」 in the detail
}

NONE_TEXT = "（なし）"
# A row whose values a 匿名化 erased: shown and exported as it is now, plainly marked.
REDACTED_TAG = "［匿名化により消去］"
LIST_PREVIEW = 10
EXPORT_HEADERS = ("日時", "担当者", "操作", "対象", "番号", "内容", "変更前", "変更後")

_DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def entity_label(entity: str) -> str:
    return ENTITY_LABELS.get(entity, entity)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


# Headings that the plain 「対象の操作」 would say badly (a word twice, or the wrong thing).
OPERATION_TITLES: dict[tuple[str, str], str] = {
    ("demo", "seed_demo"): "デモデータの作成",
    ("receipt", "pay"): "入金（領収書の発行）",
    ("staff", "create_admin"): "管理者の作成",
    ("staff", "login"): "ログイン",
    ("staff", "logout"): "ログアウト",
}


def operation_title(entity: str, action: str) -> str:
    """An entry's heading in plain Japanese: 「予約の登録」, and no word said twice: 「料金計算」, not
    「料金の料金計算」; 「来館者カウント」, not 「来館者カウントのカウント」; 「予約を元に戻す」."""
    if (entity, action) in OPERATION_TITLES:
        return OPERATION_TITLES[(entity, action)]
    what, done = entity_label(entity), action_label(action)
    if what in done or done in what:  # the longer one already names both
        return done if len(done) >= len(what) else what
    if action == "undo":
        return f"{what}を{done}"
    return f"{what}の{done}"


def field_label(key: str) -> str:
    return FIELD_LABELS.get(key, key)


# --------------------------------------------------------------------------- query


@dataclass(frozen=True)
class AuditFilter:
    """The conditions of the 操作履歴 search; None (or empty) means "any"."""

    since: date | None = None
    until: date | None = None  # inclusive: the whole of that day
    staff_id: int | None = None
    entity: str | Sequence[str] | None = None  # one name, or several shown under one label (団体)
    action: str | None = None
    text: str = ""  # part of the summary, case-insensitive
    entity_id: int | None = None

    def describe(self) -> str:
        """The conditions in words, for the export's audit entry."""
        parts = []
        if self.since or self.until:
            since = _date_text(self.since) if self.since else ""
            until = _date_text(self.until) if self.until else ""
            parts.append(f"{since}〜{until}")
        if self.staff_id is not None:
            parts.append(f"担当者#{self.staff_id}")
        if self.entity:
            names = [self.entity] if isinstance(self.entity, str) else list(self.entity)
            parts.append("・".join(dict.fromkeys(entity_label(n) for n in names)))
        if self.action:
            parts.append(action_label(self.action))
        if self.text.strip():
            parts.append(f"「{self.text.strip()}」")
        if self.entity_id is not None:
            parts.append(f"番号{self.entity_id}")
        return "、".join(parts) or "全件"


@dataclass(frozen=True)
class AuditRow:
    """One entry of the trail as the screens show it (never a live ORM row)."""

    id: int
    at: datetime
    staff_name: str
    action: str
    action_label: str
    entity: str
    entity_label: str
    entity_id: int | None
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    redacted_in: int | None = None  # the 匿名化 row that erased this row's values

    @property
    def redacted(self) -> bool:
        return self.redacted_in is not None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int  # rows matching the filter, over all pages


_Q = TypeVar("_Q", bound="Select[Unpack[tuple[Any, ...]]]")  # any select: _where keeps its columns' types


def _where(q: _Q, f: AuditFilter) -> _Q:
    if f.since is not None:
        q = q.where(AuditEntry.at >= datetime.combine(f.since, time.min))
    if f.until is not None:
        # ``until`` includes its whole day: compare with the next midnight, which keeps the index usable.
        q = q.where(AuditEntry.at < datetime.combine(f.until + timedelta(days=1), time.min))
    if f.staff_id is not None:
        q = q.where(AuditEntry.staff_id == f.staff_id)
    if f.entity:
        if isinstance(f.entity, str):
            q = q.where(AuditEntry.entity == f.entity)
        else:
            q = q.where(AuditEntry.entity.in_(list(f.entity)))
    if f.action:
        q = q.where(AuditEntry.action == f.action)
    if f.entity_id is not None:
        q = q.where(AuditEntry.entity_id == f.entity_id)

    found = contains(f.text, AuditEntry.summary)
    if found is not None:
        q = q.where(found)
    return q


def _row(e: AuditEntry, staff_name: str | None) -> AuditRow:
    return AuditRow(
        id=e.id, at=e.at, staff_name=staff_name or f"#{e.staff_id}", action=e.action,
        action_label=action_label(e.action), entity=e.entity, entity_label=entity_label(e.entity),
        entity_id=e.entity_id, summary=e.summary or "", before=e.before, after=e.after,
        redacted_in=e.redacted_in,
    )


def query_audit(session: Session, f: AuditFilter | None = None, *, limit: int = 500,
                offset: int = 0) -> AuditPage:
    """The entries matching ``f``, newest first, one page of them, with the total over all pages.

    The page is one query (the staff name comes by join, never one lookup per row) that walks the
    ``at`` index backwards and stops after ``limit`` rows. The total is a separate ``count(*)``, and
    only when the page is full: a ``count(*) OVER ()`` in the same statement would have to read and
    sort every matching row with its before/after first (measured: 86 ms against 4.5 ms on 53,000
    entries in SQLite).
    """
    f = f or AuditFilter()
    if f.since and f.until and f.since > f.until:
        raise ValidationError("期間の開始日が終了日より後になっています。", field="since")
    q = (
        select(AuditEntry, Staff.name)
        .outerjoin(Staff, Staff.id == AuditEntry.staff_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    result = session.execute(_where(q, f)).all()
    if result and len(result) < limit:
        total = offset + len(result)  # the last page: no need to count
    elif not result and offset == 0:
        total = 0
    else:
        total = int(session.scalar(_where(select(func.count()).select_from(AuditEntry), f)) or 0)
    return AuditPage([_row(e, name) for e, name in result], total)


@dataclass(frozen=True)
class AuditChoices:
    """What the filter combos offer: staff, and the entities/actions present in the trail."""

    staff: list[tuple[int, str]]
    entities: list[tuple[str, tuple[str, ...]]]  # (label, entity names under that label)
    actions: list[tuple[str, str]]  # (label, action)


def recent_kinds(session: Session, limit: int = 50) -> set[tuple[str, str]]:
    """(entity, action) of the newest entries: a cheap check for a kind the filter combos lack."""
    rows = session.execute(select(AuditEntry.entity, AuditEntry.action).order_by(AuditEntry.id.desc()).limit(limit))
    return {(e, a) for e, a in rows}


def audit_choices(session: Session) -> AuditChoices:
    staff = [(i, n) for i, n in session.execute(select(Staff.id, Staff.name).order_by(Staff.id))]
    present_entities = set(session.scalars(select(AuditEntry.entity).distinct()))
    present_actions = set(session.scalars(select(AuditEntry.action).distinct()))
    by_label: dict[str, list[str]] = {}
    # Known names in the order of ENTITY_LABELS (the desk's usual order), then unknown ones as they are.
    for name in [*ENTITY_LABELS, *sorted(present_entities - ENTITY_LABELS.keys())]:
        if name in present_entities:
            by_label.setdefault(entity_label(name), []).append(name)
    entities = [(label, tuple(names)) for label, names in by_label.items()]
    actions = [(action_label(a), a) for a in [*ACTION_LABELS, *sorted(present_actions - ACTION_LABELS.keys())]
               if a in present_actions]
    return AuditChoices(staff, entities, actions)


# --------------------------------------------------------------------------- before / after


def _date_text(d: date) -> str:
    return f"{d:%Y/%m/%d}"


def render_value(value: Any, *, key: str = "", entity: str = "") -> str:
    """A stored snapshot value as the desk reads it: 西暦 dates, （なし） for nothing, short lists."""
    if value is None or value == "":
        return NONE_TEXT
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, datetime):
        return f"{value:%Y/%m/%d %H:%M}"
    if isinstance(value, date):
        return _date_text(value)
    if isinstance(value, str):
        if key == "status" and entity in ("booking", "") and value in STATUS_LABELS:
            return STATUS_LABELS[value]  # type: ignore[index]
        m = _DATETIME_RE.match(value)
        if m:
            y, mo, d, hh, mm = m.groups()
            return f"{y}/{mo}/{d} {hh}:{mm}"
        m = _DATE_RE.match(value)
        if m:
            return "/".join(m.groups())
        return value
    if isinstance(value, list | tuple):
        if not value:
            return NONE_TEXT
        shown = [render_value(v, entity=entity) for v in value[:LIST_PREVIEW]]
        more = f" …（全{len(value)}件）" if len(value) > LIST_PREVIEW else ""
        return "、".join(shown) + more
    if isinstance(value, dict):
        if not value:
            return NONE_TEXT
        return "、".join(f"{field_label(str(k))}: {render_value(v, key=str(k), entity=entity)}"
                        for k, v in value.items())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    """One changed item of an entry: its label and the readable values before and after."""

    field: str
    before: str
    after: str
    key: str = ""

    def __iter__(self) -> Iterator[str]:  # unpacks as (field, before, after)
        return iter((self.field, self.before, self.after))


def diff_fields(before: dict[str, Any] | None, after: dict[str, Any] | None, *,
                entity: str = "") -> list[FieldChange]:
    """The keys whose value differs (added and removed ones too), in the snapshot's own order.

    A creation (no before) lists every value it set; a deletion (no after) every value it had.
    """
    b, a = before or {}, after or {}
    keys = list(dict.fromkeys([*b.keys(), *a.keys()]))
    out = []
    for k in keys:
        old, new = b.get(k), a.get(k)
        if k in b and k in a and _same(old, new):
            continue
        if k not in b and new is None and before is not None:
            continue  # a key that only says "nothing" on one side is no change
        if k not in a and old is None and after is not None:
            continue
        shown_old = render_value(old, key=k, entity=entity) if k in b else NONE_TEXT
        shown_new = render_value(new, key=k, entity=entity) if k in a else NONE_TEXT
        if shown_old == shown_new:
            continue  # e.g. a creation that set an empty list: （なし） → （なし） tells nothing
        out.append(FieldChange(field_label(k), shown_old, shown_new, k))
    return out


def _same(x: Any, y: Any) -> bool:
    return json.dumps(x, sort_keys=True, default=str) == json.dumps(y, sort_keys=True, default=str)


# --------------------------------------------------------------------------- export

EXPORT_BATCH = 2000


def _changes_text(row: AuditRow) -> tuple[str, str]:
    changes = diff_fields(row.before, row.after, entity=row.entity)
    before = "\n".join(f"{c.field}: {c.before}" for c in changes) if row.before is not None else ""
    after = "\n".join(f"{c.field}: {c.after}" for c in changes) if row.after is not None else ""
    return before, after


def _export_cells(row: AuditRow) -> list[Any]:
    before, after = _changes_text(row)
    summary = f"{REDACTED_TAG}{row.summary}" if row.redacted else row.summary
    return [f"{row.at:%Y/%m/%d %H:%M:%S}", row.staff_name, row.action_label, row.entity_label,
            row.entity_id if row.entity_id is not None else "", summary, before, after]


def export_audit(session: Session, actor: Actor, f: AuditFilter | None, path: Path | str, *,
                 now: datetime | None = None) -> int:
    """Write the entries matching ``f`` to ``path`` (.xlsx, or .csv as UTF-8 with BOM for Excel).

    Managers only (the trail shows every payment and every staff member's work). The export is
    itself recorded in the trail. Returns the number of entries written.
    """
    require_manager(session, actor, "操作履歴の書き出し")
    f = f or AuditFilter()
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ValidationError("書き出し先は .xlsx か .csv のファイルにしてください。", field="file")
    rows: list[list[Any]] = []
    offset = 0
    while True:
        page = query_audit(session, f, limit=EXPORT_BATCH, offset=offset)
        rows.extend(_export_cells(r) for r in page.rows)
        offset += len(page.rows)
        if len(page.rows) < EXPORT_BATCH:
            break
    if suffix == ".csv":
        # Through the one table writer: a summary or name typed as '=…' stays text (CSV injection).
        path.write_bytes(table_writer.csv_bytes([EXPORT_HEADERS, *rows]))
    else:
        path.write_bytes(_xlsx_bytes(rows))
    audit(session, actor, "export", "audit", None,
          f"操作履歴を書き出し（{len(rows)}件、{f.describe()}、{path.name}）",
          after={"file": path.name, "rows": len(rows), "filter": f.describe()}, now=now or local_now())
    return len(rows)


def _xlsx_bytes(rows: list[list[Any]]) -> bytes:
    # Imported here: openpyxl costs ~60 ms, and this module is loaded with the main window.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "操作履歴"
    ws.append(list(EXPORT_HEADERS))
    for r in rows:
        ws.append(r)
    head_fill = PatternFill("solid", fgColor="DCE6F1")
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = head_fill
    wrap = Alignment(wrap_text=True, vertical="top")
    for col in ("F", "G", "H"):
        for c in ws[col][1:]:
            c.alignment = wrap
    for col, width in zip("ABCDEFGH", (20, 14, 12, 14, 10, 60, 40, 40), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:H{len(rows) + 1}"
    buf = io.BytesIO()
    table_writer.save_workbook(wb, buf)  # text stays text: a staff name '=…' is never a formula
    return buf.getvalue()


# --------------------------------------------------------------------------- the hash chain

VERIFY_BATCH = 5000


@dataclass(frozen=True)
class ChainCheck:
    """What :func:`verify_chain` found: intact, or the first broken link and why."""

    rows: int  # rows checked (up to and including the broken one)
    last_id: int | None = None
    last_at: datetime | None = None
    last_hash: str | None = None
    broken_id: int | None = None
    broken_at: datetime | None = None
    reason: str = ""
    known_hash_found: bool | None = None  # None: no hash was given to look for

    @property
    def ok(self) -> bool:
        return self.broken_id is None and self.known_hash_found is not False

    def message(self) -> str:
        """The verdict in the desk's words (the CLI prints it, the page shows it)."""
        if self.broken_id is not None:
            when = f"{self.broken_at:%Y/%m/%d %H:%M}" if self.broken_at else "日時不明"
            return (f"操作履歴の連鎖が切れています：番号 {self.broken_id}（{when}）で{self.reason}。"
                    "この番号以降の記録が変更・削除・差し替えされた可能性があります。システム管理者に連絡してください。")
        if self.known_hash_found is False:
            return ("操作履歴の連鎖はつながっていますが、以前に控えたハッシュが見つかりません。"
                    "控えた時点までの履歴が丸ごと作り直された可能性があります。システム管理者に連絡してください。")
        if not self.rows:
            return "操作履歴はまだありません（確認する記録がありません）。"
        when = f"{self.last_at:%Y/%m/%d %H:%M}" if self.last_at else ""
        found = "以前に控えたハッシュも含まれています。" if self.known_hash_found else ""
        return (f"操作履歴は改ざんされていません（{self.rows}件、最後は番号 {self.last_id}・{when}）。{found}"
                f"最後のハッシュ：{self.last_hash}")


def _redaction_records(session: Session) -> dict[int, tuple[int, dict[str, Any]]]:
    """row id → (id of the latest 匿名化 row listing it, what that row recorded about it) for every row a
    匿名化 listed (services/privacy.py). Few rows: one per 匿名化 of a group."""
    records: dict[int, tuple[int, dict[str, Any]]] = {}
    for rid, after in session.execute(select(AuditEntry.id, AuditEntry.after)
                                      .where(AuditEntry.action == "anonymise").order_by(AuditEntry.id)):
        listed = after.get("rows") if isinstance(after, dict) else None
        for item in listed if isinstance(listed, list) else ():
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                records[item["id"]] = (rid, item)  # the latest 匿名化 listing the row is the one it names
    return records


def _redacted_row_ok(record: tuple[int, dict[str, Any]] | None, redacted_in: int, id_: int, at: datetime,
                     staff_id: int, action: str, entity: str, entity_id: int | None, summary: str | None,
                     before: str | None, after: str | None, prev_hash: str, row_hash: str) -> bool:
    """A redacted row is sound when the 匿名化 row it names recorded exactly its meta, its original hash
    and the hash of the erased content it has now."""
    if record is None or record[0] != redacted_in:
        return False
    item = record[1]
    meta = {"id": id_, "row_hash": row_hash, "at": audit_chain.at_text(at), "staff_id": staff_id,
            "action": action, "entity": entity, "entity_id": entity_id}
    if any(item.get(k) != v for k, v in meta.items()):
        return False
    return item.get("redacted_hash") == audit_chain.row_hash(prev_hash, id_, at, staff_id, action, entity,
                                                             entity_id, summary, before, after)


def verify_chain(session: Session, *, known_hash: str | None = None, batch: int = VERIFY_BATCH) -> ChainCheck:
    """Walk the whole trail in id order, recomputing every row's hash; stop at the first broken link.

    A link is broken when a row's ``prev_hash`` is not the previous row's ``row_hash`` (a row removed or
    put in between) or its ``row_hash`` is not the hash of its content (a row rewritten). ``known_hash``
    (a ``row_hash`` the administrator noted earlier, off the server) must appear in the chain: that
    shows the trail up to that moment was not rebuilt from scratch. Reads only; any session will do.

    A row erased by 匿名化 (``redacted_in`` set) keeps its ``row_hash``, so it still links the
    chain; its content is checked against the 匿名化 row it names instead: that row (itself checked like
    any other, later in the walk) must list this row's id, time, staff, action, entity, original hash and
    the hash of the erased content. Anything else is a break, as for any row.
    """
    q = select(AuditEntry.id, AuditEntry.at, AuditEntry.staff_id, AuditEntry.action, AuditEntry.entity,
               AuditEntry.entity_id, AuditEntry.summary, cast(AuditEntry.before, Text),
               cast(AuditEntry.after, Text), AuditEntry.prev_hash, AuditEntry.row_hash,
               AuditEntry.redacted_in).order_by(AuditEntry.id)
    known = known_hash.strip().lower() if known_hash else None
    found = False
    prev, count, last = audit_chain.GENESIS, 0, None
    after_id = None
    records: dict[int, tuple[int, dict[str, Any]]] | None = None
    while True:
        page = q if after_id is None else q.where(AuditEntry.id > after_id)
        rows = session.execute(page.limit(batch)).all()
        for (id_, at, staff_id, action, entity, entity_id, summary, before, after, prev_hash, row_hash,
             redacted_in) in rows:
            count += 1
            if prev_hash != prev:
                reason = ("前の記録とつながっていません（前の記録が削除・差し替えされたか、間に記録が入れられています）"
                          if count > 1 else "最初の記録の前に記録があったことになっています（最初の記録が削除された可能性）")
                return ChainCheck(count, broken_id=id_, broken_at=at, reason=reason)
            if redacted_in is not None:
                if records is None:
                    records = _redaction_records(session)
                if not _redacted_row_ok(records.get(id_), redacted_in, id_, at, staff_id, action, entity,
                                        entity_id, summary, before, after, prev_hash, row_hash):
                    return ChainCheck(count, broken_id=id_, broken_at=at,
                                      reason="匿名化で消去された記録が、匿名化の記録の控えと一致しません"
                                             "（記録が書き換えられています）")
            else:
                expected = audit_chain.row_hash(prev_hash, id_, at, staff_id, action, entity, entity_id, summary,
                                                before, after)
                if row_hash != expected:
                    return ChainCheck(count, broken_id=id_, broken_at=at,
                                      reason="内容が記録した時と一致しません（記録が書き換えられています）")
            if known is not None and row_hash == known:
                found = True
            prev, last = row_hash, (id_, at)
            after_id = id_
        if len(rows) < batch:
            break
    return ChainCheck(count, last_id=last[0] if last else None, last_at=last[1] if last else None,
                      last_hash=prev if last else None,
                      known_hash_found=None if known is None else found)
