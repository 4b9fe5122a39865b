"""Writing the output file of a headless command (書き出し先), the same way in every command.

Every command that writes a file (``print-slips``, ``export-stats``, ``export-insurance``,
``export-groups``, ``backup``) goes through :func:`written_output`:

- **The name is what was asked.** A name that does not end in a suffix the command writes (``-o x.txt``
  for a PDF) is refused with a Japanese message, never silently renamed (:func:`output_path_arg`, used as
  the argparse ``type=``, so the mistake is a usage error before any work).
- **No silent overwrite.** An existing file (or a symbolic link, even a dangling one) at the destination
  is refused unless ``--force`` is given; a folder there is always refused.
- **Missing folders are created** (every command alike), and the report says so: the file then lies
  where it was asked to, and the message prints the full path.
- **Atomic.** The command writes a temporary file in the destination's folder (same file system), which
  is flushed to disk and then renamed into place: a reader never sees half a file, an interrupted export
  leaves the old file as it was, and a symbolic link at the destination is replaced, never followed
  (so ``--force`` cannot be used to write through a link into some other file). Without ``--force`` the
  rename refuses to replace anything that appeared meanwhile (a hard link on POSIX, a plain rename on
  Windows).

Refusals raise :class:`~booking_app.domain.errors.ValidationError` (``field="output"``); the commands
print its ``.message`` and exit 1.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from booking_app.domain.errors import ValidationError

FORCE_HELP = "書き出し先に同じ名前のファイルがあれば上書きする（付けなければ上書きせずに中止）"


def _suffix_text(suffixes: Sequence[str]) -> str:
    return "、".join(suffixes[:-1]) + (" または " if len(suffixes) > 1 else "") + suffixes[-1]


def check_suffix(path: Path, suffixes: Sequence[str], what: str = "書き出すファイル") -> None:
    """Refuse a name that does not end in one of ``suffixes`` (case-insensitive), naming what is wanted."""
    if suffixes and path.suffix.lower() not in suffixes:
        raise ValidationError(f"{what}の名前は {_suffix_text(suffixes)} で終わるようにしてください（「{path.name}」）。"
                              "名前を変えて書き出すことはしません。", field="output")


def output_path_arg(*suffixes: str, what: str = "書き出すファイル") -> Callable[[str], Path]:
    """An argparse ``type=`` for ``-o FILE``: the path, or a Japanese usage error for a wrong suffix."""

    def parse(text: str) -> Path:
        path = Path(text)
        if not text.strip() or path.name in ("", ".", ".."):
            raise argparse.ArgumentTypeError(f"{what}の名前を指定してください（「{text}」）。")
        try:
            check_suffix(path, suffixes, what)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None
        return path

    parse.__name__ = "output"  # argparse names the type in some messages
    return parse


def add_force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)


def check_destination(path: Path, *, force: bool) -> None:
    """Before any work: a folder at ``path`` is refused; an existing file or link needs ``force``."""
    if path.is_dir() and not path.is_symlink():
        raise ValidationError(f"「{path}」はフォルダです。書き出すファイルの名前を指定してください。", field="output")
    if os.path.lexists(path) and not force:
        raise ValidationError(f"「{path}」は既にあります。上書きしませんでした。"
                              "別の名前を指定するか、上書きするなら --force を付けてください。", field="output")


@dataclass
class Output:
    """What :func:`written_output` did: the temporary file to write to, and afterwards where it went."""

    path: Path  # the destination, as asked
    temp: Path  # write here
    created_folders: list[Path] = field(default_factory=list)
    replaced: bool = False  # an existing file was overwritten (--force)
    written: bool = False

    def notes(self) -> list[str]:
        """Lines for the command's report (folders created, a file replaced)."""
        lines = [f"フォルダ「{p}」を作成しました。" for p in self.created_folders]
        if self.replaced:
            lines.append(f"既にあった「{self.path}」を上書きしました（--force）。")
        return lines


def _missing_parents(folder: Path) -> list[Path]:
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return list(reversed(missing))


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync(path: Path, *, directory: bool = False) -> None:
    if directory and os.name != "posix":
        return  # Windows has no directory handles for this and needs none
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _place(temp: Path, dest: Path, *, force: bool) -> bool:
    """Move ``temp`` to ``dest`` atomically; True when something was replaced. Never follows a link at
    ``dest``: ``os.replace`` replaces the link itself."""
    existed = os.path.lexists(dest)
    if force:
        os.replace(temp, dest)
        return existed
    if os.name == "posix":
        try:
            os.link(temp, dest)  # fails if anything (file, link, dangling link) is at dest: no clobbering
        except FileExistsError:
            raise ValidationError(f"「{dest}」は書き出しの間に作られたため、上書きしませんでした。"
                                  "上書きするなら --force を付けてください。", field="output") from None
        except OSError:
            # A file system without hard links (some network shares): check, then rename.
            if os.path.lexists(dest):
                raise ValidationError(f"「{dest}」は既にあります。上書きするなら --force を付けてください。",
                                      field="output") from None
            os.replace(temp, dest)
            return False
        os.unlink(temp)
        return False
    try:
        os.rename(temp, dest)  # Windows: refuses an existing destination
    except FileExistsError:
        raise ValidationError(f"「{dest}」は既にあります。上書きするなら --force を付けてください。",
                              field="output") from None
    return False


@contextmanager
def written_output(path: Path | str, *, force: bool = False, suffixes: Sequence[str] = (),
                   private: bool = False) -> Iterator[Output]:
    """Write a command's output file: ``with written_output(p, force=…) as out: write(out.temp)``.

    Checks the name and the destination first (see the module's rules), creates missing folders, yields
    an :class:`Output` whose ``temp`` is an empty file in the destination's folder with the same suffix
    (writers that choose the format by suffix keep working), and on leaving the block without an error
    renames it into place. On an error the temporary file (and any folder made for it) is removed and
    the destination is untouched.

    ``private``: the file stays owner-only (0600, as mkstemp makes it) and new folders are 0700, from the first
    byte to the rename (backups: every name and payment).
    """
    path = Path(path)
    check_suffix(path, suffixes)
    check_destination(path, force=force)
    folder = path.parent if str(path.parent) else Path(".")
    created = _missing_parents(folder)
    if private:
        for made in created:  # parents first: each new folder owner-only before anything goes in
            made.mkdir(mode=0o700, exist_ok=True)
            if os.name == "posix":
                os.chmod(made, 0o700)  # mkdir's mode is masked by the umask
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}-", suffix=f".tmp{path.suffix}")
    os.close(fd)
    out = Output(path=path, temp=Path(name), created_folders=created)
    try:
        yield out
        if not private:
            os.chmod(out.temp, _umask_mode())  # mkstemp makes 0600; the file gets the usual permissions
        _fsync(out.temp)
        out.replaced = _place(out.temp, path, force=force)
        _fsync(folder, directory=True)
        out.written = True
    finally:
        if not out.written:
            out.temp.unlink(missing_ok=True)
            for made in reversed(created):  # a refused or failed command leaves no new empty folder behind
                try:
                    made.rmdir()
                except OSError:
                    break


__all__ = ["FORCE_HELP", "Output", "add_force_option", "check_destination", "check_suffix", "output_path_arg",
           "written_output"]
