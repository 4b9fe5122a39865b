"""Import and export of the group register from the UI: the preview, the errors, 取込, 書出."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog
from sqlalchemy import func, select

from booking_app.services import group_io
from booking_app.store.engine import read_session
from booking_app.store.models import MemberGroup
from booking_app.ui.groups import group_io_dialog as gio
from booking_app.ui.context import AppContext
from booking_app.ui.groups.group_io_dialog import GroupImportDialog, export_groups_dialog
from booking_app.ui.groups.groups_page import GroupsPage
from tests.actors import actor_for

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 10, 0)
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "groups"
pytestmark = pytest.mark.now(TODAY)


def group_count(engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(MemberGroup))


@pytest.fixture
def ctx(engine):
    return AppContext(engine, actor_for(engine, "manager"))


@pytest.fixture
def shown(monkeypatch, prompts):
    """What staff would read in message boxes (ctx.prompts records them), without any box blocking the test."""
    return prompts.shown("show_error", "info")


def export(qtbot, parent, ctx, path=None):
    """The export as the page starts it, waited for (it writes on the worker thread); None when cancelled."""
    op = export_groups_dialog(parent, ctx, path)
    if op is not None:
        qtbot.waitUntil(lambda: op.done, timeout=10_000)
    return op


@pytest.fixture
def sample_csv(tmp_path) -> Path:
    return Path(shutil.copy(SAMPLES / "登録団体名簿.csv", tmp_path / "登録団体名簿.csv"))


@pytest.fixture
def broken_csv(tmp_path) -> Path:
    path = tmp_path / "壊れた名簿.csv"
    path.write_text(
        "登録番号,団体名,フリガナ,活動分野,代表者,電話番号,登録日\n"
        "0001,フクフク読書会,フクフクドクショカイ,社会教育,山田 花子,083-111-2222,2024/04/01\n"
        "0002,関門太鼓の会,カンモンタイコノカイ,文化,佐藤 一郎,083-222-3333,2026/13/45\n"
        "0001,彦島ボランティアの会,ヒコシマボランティアノカイ,福祉,鈴木 次郎,083-333-4444,2025/05/01\n",
        encoding="utf-8")
    return path


def open_preview(qtbot, ctx, path) -> GroupImportDialog:
    dlg = GroupImportDialog(ctx, path)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def import_sample(ctx, path) -> None:
    ctx.write(lambda s, a: group_io.import_groups(s, a, path, dry_run=False, now=NOW), changes={"group"})


def column_texts(model, column: int) -> list[str]:
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


# --------------------------------------------------------------------------- import


def test_preview_of_the_sample_shows_forty_new_groups_and_writes_nothing(qtbot, qtmodeltester, ctx, engine,
                                                                          shown, sample_csv):
    dlg = open_preview(qtbot, ctx, sample_csv)

    assert dlg.counts_label.text() == "新規 40団体・更新 0団体・変更なし 0団体"
    assert "Shift_JIS" in dlg.file_label.text() and "40行" in dlg.file_label.text()
    assert dlg.import_button.isEnabled()
    assert not dlg.blocked_label.isVisible()
    assert not dlg.permission_label.isVisible()
    assert dlg.change_view.isVisible() and dlg.change_model.rowCount() == 40
    assert set(column_texts(dlg.change_model, 3)) == {"新規"}
    assert column_texts(dlg.change_model, 1)[:2] == ["0001", "0002"]
    for model in (dlg.change_model, dlg.error_model, dlg.warning_model):
        qtmodeltester.check(model)
    assert group_count(engine) == 0
    assert shown == []


def test_import_button_writes_the_forty_groups_and_broadcasts(qtbot, ctx, engine, shown, sample_csv):
    dlg = open_preview(qtbot, ctx, sample_csv)

    with qtbot.wait_signal(ctx.changed) as changed:
        qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)

    assert changed.args == [{"group"}]
    assert group_count(engine) == 40
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert shown == ["団体名簿を取り込みました。\n新規 40団体・更新 0団体・変更なし 0団体"]


def test_broken_file_lists_each_error_with_its_row_and_cannot_be_imported(qtbot, qtmodeltester, ctx, engine,
                                                                          shown, broken_csv):
    dlg = open_preview(qtbot, ctx, broken_csv)

    errors = [(dlg.error_model.issue(r).row, dlg.error_model.issue(r).column)
              for r in range(dlg.error_model.rowCount())]
    assert (3, "登録日") in errors and (4, "登録番号") in errors
    assert column_texts(dlg.error_model, 0)[:2] == ["3行目", "4行目"]
    assert 2 not in {row for row, _ in errors}  # the good row is not blamed
    assert dlg.error_model.data(dlg.error_model.index(0, 2), Qt.ItemDataRole.ForegroundRole).color() \
        == gio.ERROR_COLOR
    assert dlg.error_view.isVisible() and not dlg.change_view.isVisible()
    assert dlg.blocked_label.isVisible()
    assert dlg.blocked_label.text() == "誤りがあるため取り込めません。ファイルを直して、もう一度選んでください。"
    assert dlg.counts_label.text() == f"誤り {len(errors)}件"
    assert not dlg.import_button.isEnabled()
    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    qtmodeltester.check(dlg.error_model)
    assert group_count(engine) == 0
    assert dlg.isVisible() and shown == []


def test_choosing_a_fixed_file_again_enables_import(qtbot, ctx, engine, shown, broken_csv, sample_csv):
    dlg = GroupImportDialog(ctx, broken_csv, choose_file=lambda parent: str(sample_csv))
    qtbot.addWidget(dlg)
    dlg.show()
    assert not dlg.import_button.isEnabled()

    qtbot.mouseClick(dlg.choose_button, Qt.MouseButton.LeftButton)

    assert dlg.import_button.isEnabled()
    assert not dlg.blocked_label.isVisible() and not dlg.error_view.isVisible()
    assert dlg.counts_label.text().startswith("新規 40団体")


def test_duplicate_warnings_are_shown_in_amber_and_do_not_block(qtbot, qtmodeltester, ctx, tmp_path, shown):
    path = tmp_path / "重複.csv"
    path.write_text(
        "登録番号,団体名,フリガナ,活動分野,代表者,電話番号,登録日\n"
        ",フクフク読書会,フクフクドクショカイ,社会教育,山田 花子,083-111-2222,2024/04/01\n"
        ",ふくふく読書会,フクフクドクショカイ,社会教育,田中 三郎,083-999-0000,2024/04/01\n",
        encoding="utf-8")
    dlg = open_preview(qtbot, ctx, path)

    assert dlg.warning_view.isVisible() and dlg.warning_model.rowCount() == 1
    assert dlg.warning_model.issue(0).row == 3 and "重複の可能性" in dlg.warning_model.issue(0).message
    assert dlg.warning_model.data(dlg.warning_model.index(0, 2), Qt.ItemDataRole.ForegroundRole).color() \
        == gio.WARNING_COLOR
    assert dlg.import_button.isEnabled()
    assert column_texts(dlg.change_model, 1) == ["（自動）", "（自動）"]
    assert "登録番号のない2団体には新しい番号を割り当てます。" in dlg.note_label.text()
    qtmodeltester.check(dlg.warning_model)


def test_unreadable_file_says_why_and_cannot_be_imported(qtbot, ctx, tmp_path, shown):
    path = tmp_path / "古い名簿.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not really excel")
    dlg = open_preview(qtbot, ctx, path)

    assert dlg.report is None
    assert dlg.counts_label.text() == "読み込めませんでした"
    assert ".xlsx" in dlg.note_label.text()
    assert not dlg.import_button.isEnabled()


def test_run_with_a_path_previews_then_imports(qtbot, monkeypatch, ctx, engine, shown, sample_csv):
    def press_import(self):
        qtbot.addWidget(self)
        assert self.counts_label.text().startswith("新規 40団体")
        qtbot.mouseClick(self.import_button, Qt.MouseButton.LeftButton)
        return self.result()

    monkeypatch.setattr(GroupImportDialog, "exec", press_import)

    assert GroupImportDialog.run(None, ctx, sample_csv) is True
    assert group_count(engine) == 40


def test_run_cancelled_at_the_file_chooser_does_nothing(monkeypatch, ctx, engine, shown):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    assert GroupImportDialog.run(None, ctx) is False
    assert group_count(engine) == 0 and shown == []


# --------------------------------------------------------------------------- who may import


def test_desk_staff_cannot_import(qtbot, monkeypatch, engine, shown, sample_csv):
    desk = AppContext(engine, actor_for(engine, "desk"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: pytest.fail("desk staff should not be asked for a file"))

    assert GroupImportDialog.run(None, desk, sample_csv) is False
    assert GroupImportDialog.run(None, desk) is False

    assert shown == ["団体名簿の取込は管理者のみ行えます。管理者に依頼してください。"] * 2
    assert group_count(engine) == 0


def test_handing_over_to_desk_staff_disables_import_and_the_service_still_refuses(qtbot, ctx, engine, shown,
                                                                                  sample_csv):
    dlg = open_preview(qtbot, ctx, sample_csv)
    assert dlg.import_button.isEnabled()

    ctx.set_actor(actor_for(engine, "desk"))

    assert not dlg.import_button.isEnabled()
    assert dlg.permission_label.isVisible()
    assert dlg.permission_label.text() == gio.MANAGER_ONLY_TEXT
    dlg.run_import()  # even if the button were reached, the service is the guard
    assert shown == ["団体名簿の取込は管理者のみ行えます。管理者に依頼してください。"]
    assert group_count(engine) == 0


# --------------------------------------------------------------------------- export and round trip


def test_export_writes_an_xlsx_openpyxl_reads_back(qtbot, ctx, engine, tmp_path, shown, sample_csv):
    import_sample(ctx, sample_csv)
    target = tmp_path / gio.default_export_name(TODAY)

    assert export(qtbot, None, ctx, target).result == 40

    assert target.name == "登録団体名簿_20261125.xlsx"
    wb = openpyxl.load_workbook(target, read_only=True)
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    assert rows[0][:3] == ("登録番号", "団体名", "フリガナ")
    assert len([r for r in rows[1:] if any(v not in (None, "") for v in r)]) == 40
    assert shown == [f"40団体を書き出しました。\n{target}"]


def test_reimporting_an_exported_file_changes_nothing(qtbot, ctx, engine, tmp_path, shown, sample_csv):
    import_sample(ctx, sample_csv)
    target = tmp_path / "書出.xlsx"
    export(qtbot, None, ctx, target)

    dlg = open_preview(qtbot, ctx, target)

    assert dlg.counts_label.text() == "新規 0団体・更新 0団体・変更なし 40団体"
    assert "取り込んでも何も変わりません" in dlg.note_label.text()
    assert dlg.change_model.rowCount() == 0 and dlg.error_model.rowCount() == 0


def test_an_edited_cell_shows_as_an_update_with_old_and_new(qtbot, qtmodeltester, ctx, engine, tmp_path,
                                                            shown, sample_csv):
    import_sample(ctx, sample_csv)
    target = tmp_path / "書出.xlsx"
    export(qtbot, None, ctx, target)
    wb = openpyxl.load_workbook(target)
    ws = wb.worksheets[0]
    heading = [c.value for c in ws[1]]
    rep = ws.cell(row=2, column=heading.index("代表者") + 1)
    old_rep, rep.value = rep.value, "新しい 代表"
    wb.save(target)

    dlg = open_preview(qtbot, ctx, target)

    assert dlg.counts_label.text() == "新規 0団体・更新 1団体・変更なし 39団体"
    assert dlg.change_model.rowCount() == 1
    change = dlg.change_model.change(0)
    assert (change.row, change.reg_no, change.kind) == (2, "0001", "更新")
    assert change.details == (("代表者", old_rep, "新しい 代表"),)
    assert dlg.change_model.data(dlg.change_model.index(0, 4)) == f"代表者：{old_rep} → 新しい 代表"
    qtmodeltester.check(dlg.change_model)

    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    with read_session(engine) as s:
        assert s.scalar(select(MemberGroup.representative).where(MemberGroup.reg_no == "0001")) == "新しい 代表"


def test_export_as_csv_where_staff_chose(qtbot, ctx, tmp_path, shown, prompts, sample_csv):
    import_sample(ctx, sample_csv)
    prompts.save_path = tmp_path / "名簿.csv"

    assert export(qtbot, None, ctx).result == 40
    asked = prompts.of("ask_save_path")
    assert [Path(a.text).name for a in asked] == ["登録団体名簿_20261125.xlsx"]
    text = (tmp_path / "名簿.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and text.decode("utf-8-sig").count("\r\n") == 41
    assert shown == [f"40団体を書き出しました。\n{tmp_path / '名簿.csv'}"]


def test_a_cancelled_export_writes_nothing(qtbot, ctx, tmp_path, shown, prompts):
    prompts.save_path = None  # 「キャンセル」
    assert export(qtbot, None, ctx) is None
    assert len(prompts.of("ask_save_path")) == 1 and shown == []


def test_export_to_a_locked_file_says_so(qtbot, monkeypatch, ctx, tmp_path, shown):
    def locked(session, actor, path, today=None):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(group_io, "export_groups", locked)
    assert export(qtbot, None, ctx, tmp_path / "a.xlsx").error is not None
    assert len(shown) == 1 and "書き出せませんでした" in shown[0] and "閉じる" in shown[0]


def test_desk_staff_cannot_export_the_register(qtbot, engine, tmp_path, shown):
    # The register carries representatives' addresses and phones: the service refuses desk staff.
    desk_ctx = AppContext(engine, actor_for(engine, "desk"))
    target = tmp_path / "名簿.xlsx"
    assert export(qtbot, None, desk_ctx, target).error is not None
    assert len(shown) == 1 and "管理者のみ" in shown[0]
    assert not target.exists()


# --------------------------------------------------------------------------- from the 団体 page


def test_groups_page_buttons_open_import_and_export(qtbot, monkeypatch, ctx, engine, tmp_path, shown, prompts,
                                                   sample_csv):
    page = GroupsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(sample_csv), gio.OPEN_FILTER))
    # (run() deletes the dialog itself, so qtbot is not given it to close)
    monkeypatch.setattr(GroupImportDialog, "exec", lambda self: (self.import_button.click(), self.result())[-1])

    qtbot.mouseClick(page.import_groups_button, Qt.MouseButton.LeftButton)

    assert group_count(engine) == 40
    assert page.import_groups_button.text() == "名簿を取込…"
    target = prompts.save_path = tmp_path / "out.xlsx"
    qtbot.mouseClick(page.export_groups_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: target.exists() and len(shown) > 0 and shown[-1].startswith("40団体"), timeout=10_000)
    assert shown[-1] == f"40団体を書き出しました。\n{target}"


# --------------------------------------------------------------------------- keys (issue 17)


def test_the_preview_by_keys_names_its_lists_and_tab_comes_round(qtbot, ctx, shown, broken_csv, sample_csv):
    import keyboard_walk as kw

    for path, view in ((sample_csv, "change_view"), (broken_csv, "error_view")):
        dlg = GroupImportDialog(ctx, path)
        qtbot.addWidget(dlg)
        with qtbot.waitActive(dlg):
            dlg.show()
            dlg.activateWindow()
        assert kw.unnamed(dlg) == []
        chain = kw.tab_chain()
        kw.assert_no_trap(chain, must_reach=[getattr(dlg, view)])
        dlg.close()
