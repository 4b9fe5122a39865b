"""The one way every headless command writes its output file (booking_app/output_files.py, issue 13 item 16)."""

from __future__ import annotations

import argparse
import os

import pytest

from booking_app.domain.errors import ValidationError
from booking_app.output_files import output_path_arg, written_output


def test_the_file_appears_whole_and_only_at_the_end(tmp_path):
    dest = tmp_path / "report.csv"
    dest.write_text("old")
    with written_output(dest, force=True, suffixes=(".csv",)) as out:
        assert out.temp.parent == tmp_path and out.temp.suffix == ".csv" and out.temp != dest
        out.temp.write_text("new, half")
        assert dest.read_text() == "old"  # a reader meanwhile sees the old file, never half a new one
        out.temp.write_text("new")
    assert dest.read_text() == "new" and out.replaced and out.written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]
    mask = os.umask(0)
    os.umask(mask)
    assert dest.stat().st_mode & 0o777 == 0o666 & ~mask  # the usual permissions, not mkstemp's 0600


def test_an_error_while_writing_leaves_the_destination_and_no_temporary_file(tmp_path):
    dest = tmp_path / "new" / "report.pdf"
    with pytest.raises(RuntimeError), written_output(dest) as out:
        out.temp.write_bytes(b"%PDF half")
        raise RuntimeError("disk full")
    assert not dest.exists() and not (tmp_path / "new").exists()


def test_refusals(tmp_path):
    with pytest.raises(ValidationError, match="既にあります"):
        (tmp_path / "a.csv").write_text("x")
        with written_output(tmp_path / "a.csv"):
            pass
    with pytest.raises(ValidationError, match="フォルダです"):
        with written_output(tmp_path, force=True):
            pass
    with pytest.raises(ValidationError, match=r"\.pdf で終わる"):
        with written_output(tmp_path / "a.txt", suffixes=(".pdf",)):
            pass
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(ValidationError, match="既にあります"):  # a link counts, even one to nothing
        with written_output(dangling):
            pass
    assert dangling.is_symlink() and not (tmp_path / "nowhere").exists()


def test_a_file_that_appears_meanwhile_is_not_replaced_without_force(tmp_path):
    dest = tmp_path / "a.csv"
    with pytest.raises(ValidationError, match="書き出しの間に作られた"), written_output(dest) as out:
        out.temp.write_text("ours")
        dest.write_text("someone else's")
    assert dest.read_text() == "someone else's" and sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_the_argparse_type_refuses_in_japanese():
    parse = output_path_arg(".xlsx", ".csv")
    assert parse("x.XLSX").name == "x.XLSX"
    with pytest.raises(argparse.ArgumentTypeError, match="「x.pdf」"):
        parse("x.pdf")
    with pytest.raises(argparse.ArgumentTypeError, match="名前を指定してください"):
        parse(" ")
