"""The limits of a file import (取込の上限): file size, rows, columns, characters per cell.

A file staff pick may be anything: an export of another system with 16,384 columns, a 1 GB log, an xlsx
whose few kilobytes unpack to gigabytes. The readers of ``services.tabular`` never hold more than these
limits allow and refuse a file beyond them with a Japanese message that names the limit and the fix,
before any database lock is taken.

Defaults, sized for real ledgers with room to spare:

* 20 MB: a five-year booking ledger of a busy centre (≈ 30,000 rows × 14 columns) is 3–4 MB as CSV and
  under 2 MB as xlsx; the group register is a few hundred kilobytes.
* 50,000 data rows: above the largest ledger seen (≈ 30,000 rows); a 50,000-row import is checked and
  written in seconds (docs/performance.md, 「取込の上限」).
* 100 columns: the ledger has 14 known columns and the register 20; a centre's sheet may add some of its
  own, which are ignored.
* 2,000 characters per cell: the longest column stored is 400 characters (フリガナ); a 備考 pasted from a
  letter may be longer and is kept in the note, but a cell of a megabyte is no ledger.

Stored in ``centre_settings`` under the key ``import_limits``; read with a fallback to the defaults (a value
that is missing or unreadable is the default), changed by a manager, audited.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime

from sqlalchemy.orm import Session

from booking_app.domain.errors import ValidationError
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.settings_store import put_value
from booking_app.store.models import CentreSetting

SETTINGS_KEY = "import_limits"
MB = 1024 * 1024

SETTING_NAME = "「取込の上限」"
FIX_BY_ADMIN = f"管理者が設定の{SETTING_NAME}を変更してください。"


@dataclass(frozen=True)
class ImportLimits:
    """What one imported file may hold. ``max_bytes`` is the file's size on disk."""

    max_bytes: int = 20 * MB
    max_rows: int = 50_000
    max_columns: int = 100
    max_cell_chars: int = 2_000

    @property
    def max_mb(self) -> int:
        return max(1, self.max_bytes // MB)

    # An xlsx is a zip: what its parts may unpack to (checked on the zip's own directory before openpyxl
    # opens it). The sheet is read as a stream, so its XML may be large; the shared strings and styles are
    # loaded whole, so each other part is held to the file size limit itself.
    @property
    def max_xlsx_unpacked(self) -> int:
        return 10 * self.max_bytes

    @property
    def max_xlsx_part(self) -> int:
        return self.max_bytes

    @property
    def max_record_chars(self) -> int:
        """Characters one CSV record may span (all its cells with their commas and quotes)."""
        return self.max_columns * (self.max_cell_chars + 3) + 1_000


# Bounds a manager may set: a limit of 0 would refuse every file; the upper bounds keep an import within
# what a desk PC holds in memory (≈ 300 MB at the highest settings).
BOUNDS: dict[str, tuple[int, int]] = {
    "max_bytes": (1 * MB, 200 * MB),
    "max_rows": (100, 500_000),
    "max_columns": (20, 1_000),
    "max_cell_chars": (100, 32_767),  # Excel's own limit of a cell
}
LABELS = {"max_bytes": "ファイルの大きさ", "max_rows": "行数", "max_columns": "列数", "max_cell_chars": "1つのセルの文字数"}
UNITS = {"max_bytes": "MB", "max_rows": "行", "max_columns": "列", "max_cell_chars": "文字"}
DEFAULTS = ImportLimits()


def _shown(name: str, value: int) -> str:
    if name == "max_bytes":
        return f"{value // MB:,} MB"
    return f"{value:,}{UNITS[name]}"


def validate_limits(limits: ImportLimits) -> ImportLimits:
    """Refuse a value outside :data:`BOUNDS`, naming the field and the range."""
    for f in fields(ImportLimits):
        value = getattr(limits, f.name)
        lo, hi = BOUNDS[f.name]
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise ValidationError(f"取込の上限の{LABELS[f.name]}は{_shown(f.name, lo)}から{_shown(f.name, hi)}の間で"
                                  "指定してください。", field=f.name)
    return limits


def get_import_limits(session: Session) -> ImportLimits:
    """The centre's limits, or the defaults (also for a stored value that cannot be used)."""
    row = session.get(CentreSetting, SETTINGS_KEY)
    if row is None or not isinstance(row.value, dict):
        return DEFAULTS
    try:
        values = {f.name: int(row.value.get(f.name, getattr(DEFAULTS, f.name))) for f in fields(ImportLimits)}
        return validate_limits(ImportLimits(**values))
    except (TypeError, ValueError, ValidationError):
        return DEFAULTS


def save_import_limits(session: Session, actor: Actor, limits: ImportLimits, *,
                       now: datetime | None = None) -> ImportLimits:
    """Store the limits (manager only), audited with the values before and after."""
    require_manager(session, actor, "取込の上限の変更")
    validate_limits(limits)
    now = now or local_now()
    value = asdict(limits)
    before = put_value(session, SETTINGS_KEY, value, by=actor.id, now=now)
    audit(session, actor, "update", "import_limits", None,
          "取込の上限を変更（" + "、".join(f"{LABELS[k]}{_shown(k, v)}" for k, v in value.items()) + "）",
          before=before, after=value, now=now)
    return limits


# --------------------------------------------------------------------------- the messages

SPLIT_FIX = "ファイルを分けて取り込むか、"


def _size_text(n: int) -> str:
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:.1f} GB"
    return f"{n / MB:.1f} MB"


def too_big(size: int, limits: ImportLimits) -> ValidationError:
    return ValidationError(f"ファイルが大きすぎます（{_size_text(size)}。上限は {limits.max_mb:,} MB）。"
                           + SPLIT_FIX + FIX_BY_ADMIN, field="file")


def too_many_rows(limits: ImportLimits) -> ValidationError:
    return ValidationError(f"行が多すぎます（{limits.max_rows:,}行を超えています。上限は {limits.max_rows:,}行）。"
                           + SPLIT_FIX + FIX_BY_ADMIN, field="file")


def too_many_columns(row: int, column: int, limits: ImportLimits) -> ValidationError:
    return ValidationError(f"{row}行目の{column:,}列目にデータがあります（列は {limits.max_columns:,}列まで）。"
                           "使っていない右側の列を消すか、" + FIX_BY_ADMIN, field="file")


def cell_too_long(row: int, limits: ImportLimits) -> ValidationError:
    return ValidationError(f"{row}行目に長すぎるセルがあります（1つのセルは {limits.max_cell_chars:,}文字まで）。"
                           "セルの内容を短くするか、" + FIX_BY_ADMIN, field="file")


def record_too_long(row: int, limits: ImportLimits) -> ValidationError:
    return ValidationError(f"{row}行目が長すぎます（{limits.max_columns:,}列 × {limits.max_cell_chars:,}文字を超えています）。"
                           "CSVの区切りや「\"」の対応が崩れていないか確かめてください。", field="file")


def xlsx_too_big(unpacked: int, cap: int) -> ValidationError:
    """An xlsx whose parts unpack beyond ``cap`` bytes (ImportLimits.max_xlsx_unpacked or max_xlsx_part)."""
    return ValidationError(f"Excelファイルの中身が大きすぎます（展開すると{_size_text(unpacked)}。"
                           f"上限は {cap // MB:,} MB）。不要なシートや書式を消して保存し直すか、"
                           "CSVで保存してください。", field="file")


__all__ = ["BOUNDS", "DEFAULTS", "ImportLimits", "LABELS", "SETTINGS_KEY", "UNITS", "cell_too_long",
           "get_import_limits", "record_too_long", "save_import_limits", "too_big", "too_many_columns",
           "too_many_rows", "validate_limits", "xlsx_too_big"]
