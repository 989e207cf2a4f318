"""Writing output without harming the user's files.

The rules (docs/segmentation-files.md states them for users):

* A report folder is ours only if it carries :data:`MARKER_NAME`, a small JSON
  file listing what the run wrote. An earlier report of ours is replaced as a
  whole; a folder holding anything else is refused, with what is there named.
  A folder that holds (or is) an input file, or the current folder, is refused.
* A report appears whole or not at all: it is written into a staging folder
  beside the target (``.NAME.XXXX.partial``, same file system, so moves are
  renames), then swapped in: the old report is renamed aside
  (``.NAME.XXXX.replaced``), the new one renamed in, the old one removed. SIGINT
  and SIGTERM are held back during the two renames, so an interruption leaves
  the old report or the new one, never neither.
* Runs into the same folder take turns: a lock file beside the folder
  (``.NAME.kmeans-segment.lock``, via :mod:`filelock`) is held from the check
  of the folder to the end of the swap. A second run waits up to
  ``KMEANS_SEGMENT_LOCK_TIMEOUT`` seconds (default 10), then gives up with a
  message naming the lock.
* What a killed run (SIGKILL, power loss) left behind is tidied by the next run
  into the same folder, under the lock: a staging folder is removed; an old
  report renamed aside is put back if the new one never arrived.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from segmentation._errors import SegmentationError

__all__ = [
    "MARKER_NAME",
    "LOCK_TIMEOUT_ENV",
    "ReportFolderWarning",
    "check_report_folder",
    "replacing_folder",
    "check_table_target",
    "replacing_file",
    "pause_for_tests",
]

#: The file that makes a folder one of our reports.
MARKER_NAME = ".kmeans-segment-report"
_MARKER_TOOL = "kmeans-segment"
_MARKER_MAX_BYTES = 1 << 20
#: Seconds a run waits for another run's lock on the same report folder.
LOCK_TIMEOUT_ENV = "KMEANS_SEGMENT_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 10.0
#: Test hook: "STAGE" or "STAGE:SECONDS" makes the run pause at that stage
#: (see pause_for_tests), so that signal tests can hit a known point.
PAUSE_ENV = "KMEANS_SEGMENT_TEST_PAUSE"
_STAGING_SUFFIX = ".partial"
_ASIDE_SUFFIX = ".replaced"
_LOCK_SUFFIX = ".kmeans-segment.lock"
_NAMES_SHOWN = 6


class ReportFolderWarning(UserWarning):
    """Something about the output folder the user should know (a tidied-up interrupted run)."""


def pause_for_tests(stage: str) -> None:
    """Pause here when the environment asks for it; a no-op otherwise.

    Signal tests set ``KMEANS_SEGMENT_TEST_PAUSE=STAGE[:SECONDS]``, wait for the
    line this prints on stderr, then signal the process at a known point.
    """
    request = os.environ.get(PAUSE_ENV, "")
    wanted, _, seconds = request.partition(":")
    if wanted != stage:
        return
    print(f"kmeans-segment: test pause at {stage}", file=sys.stderr, flush=True)
    try:
        time.sleep(float(seconds) if seconds else 30.0)
    except ValueError:
        time.sleep(30.0)


def _names(paths, total: int | None = None) -> str:
    names = sorted(str(p) for p in paths)
    total = len(names) if total is None else total
    shown = ", ".join(names[:_NAMES_SHOWN])
    if total > _NAMES_SHOWN:
        shown += f" and {total - _NAMES_SHOWN} more"
    return shown


def _resolved(path) -> Path:
    return Path(os.fspath(path)).expanduser().resolve()


def _refuse_protected(target: Path, shown: str, protect, what: str, *, is_folder: bool) -> None:
    for protected in protect:
        protected_path = _resolved(protected)
        if protected_path == target:
            raise SegmentationError(
                f"{what} {shown!r} is the input file {str(protected)!r}; "
                "kmeans-segment never writes its input: choose another output"
            )
        if is_folder and target in protected_path.parents:
            raise SegmentationError(
                f"{what} {shown!r} holds the input file {str(protected)!r}; the report "
                "folder is replaced as a whole, so choose a --out that does not hold your data"
            )


# ---------------------------------------------------------------------------
# The report folder


def _read_marker(folder: Path) -> dict | None:
    """The marker of ``folder`` if it is a sound one of ours, else None."""
    marker = folder / MARKER_NAME
    try:
        if not marker.is_file() or marker.is_symlink() or marker.stat().st_size > _MARKER_MAX_BYTES:
            return None
        content = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict) or content.get("tool") != _MARKER_TOOL:
        return None
    files = content.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return content


def _write_marker(folder: Path, files: list[str]) -> None:
    try:
        from importlib.metadata import PackageNotFoundError, version

        tool_version = version("kmeans-core")
    except (ImportError, PackageNotFoundError):
        tool_version = "unknown"
    content = {
        "tool": _MARKER_TOOL,
        "version": tool_version,
        "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "files": sorted(files),
        "note": "This folder is a report written by kmeans-segment; a new run into it replaces "
        "it as a whole. Keep your own files elsewhere.",
    }
    (folder / MARKER_NAME).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def _entries(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, relative, without following links."""
    found = []
    for root, folders, files in os.walk(folder):
        relative_root = Path(root).relative_to(folder)
        found += [(relative_root / name).as_posix() for name in folders + files]
    return found


def _foreign_entries(folder: Path) -> tuple[list[str], bool]:
    """What in ``folder`` the tool did not write, and whether the folder is one of our reports."""
    marker = _read_marker(folder)
    if marker is None:
        return sorted(p.name for p in folder.iterdir()), False
    ours = {MARKER_NAME}
    for relative in marker["files"]:
        ours.add(relative)
        ours.update(parent.as_posix() for parent in Path(relative).parents if parent != Path("."))
    return [entry for entry in _entries(folder) if entry not in ours], True


def check_report_folder(out_dir, protect=()) -> Path:
    """Check that a report may be written to ``out_dir``; return the folder's resolved path.

    Parameters
    ----------
    out_dir : path-like
        The report folder: new, empty, or an earlier report of ours.
    protect : iterable of path-like
        Files that must never be written or removed (the input table).

    Raises
    ------
    SegmentationError
        When the folder is a file, the current folder (or above it), holds an
        input file, or holds anything that is not an earlier report of ours.
    """
    target = _resolved(out_dir)
    shown = str(out_dir)
    if target.exists() and not target.is_dir():
        raise SegmentationError(f"output folder {shown!r} exists and is not a folder")
    _refuse_protected(target, shown, protect, "output folder", is_folder=True)
    current = Path.cwd().resolve()
    if target == current or target in current.parents:
        raise SegmentationError(
            f"output folder {shown!r} is the current folder or above it; the report folder is "
            "replaced as a whole, so give --out a folder of its own (e.g. --out report)"
        )
    if target.is_dir():
        foreign, is_ours = _foreign_entries(target)
        if foreign and is_ours:
            raise SegmentationError(
                f"output folder {shown!r} is an earlier kmeans-segment report but also holds "
                f"files it did not write: {_names(foreign)}; a new report replaces the folder "
                "as a whole, so move them out first or choose another --out"
            )
        if foreign:
            raise SegmentationError(
                f"output folder {shown!r} is not empty and is not a kmeans-segment report (it "
                f"holds {_names(foreign)}); choose a new or empty folder for --out"
            )
    return target


def _lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


@contextlib.contextmanager
def _folder_lock(target: Path):
    from filelock import FileLock, Timeout

    lock_path = target.parent / f".{target.name}{_LOCK_SUFFIX}"
    timeout = _lock_timeout()
    lock = FileLock(str(lock_path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise SegmentationError(
            f"another kmeans-segment run is writing the report folder {str(target)!r}: it holds "
            f"the lock file {str(lock_path)!r}. Waited {timeout:g} s (set {LOCK_TIMEOUT_ENV} to "
            "wait longer); try again when it has finished, or choose another --out"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _leftovers(target: Path, suffix: str) -> list[Path]:
    prefix = f".{target.name}."
    try:
        return [
            p
            for p in target.parent.iterdir()
            if p.name.startswith(prefix)
            and p.name.endswith(suffix)
            and p.is_dir()
            and not p.is_symlink()
        ]
    except OSError:
        return []


def _is_ours_or_empty(folder: Path) -> bool:
    try:
        return _read_marker(folder) is not None or not any(folder.iterdir())
    except OSError:
        return False


def _recover_interrupted(target: Path) -> None:
    """Tidy what a killed run into ``target`` left behind (call with the lock held)."""
    set_aside = sorted(
        (p for p in _leftovers(target, _ASIDE_SUFFIX) if _read_marker(p)),
        key=lambda p: p.stat().st_mtime,
    )
    if set_aside and not target.exists():
        restored = set_aside.pop()
        os.rename(restored, target)
        warnings.warn(
            f"restored the previous report in {str(target)!r}, which an interrupted run had set "
            f"aside as {restored.name!r}",
            ReportFolderWarning,
            stacklevel=4,
        )
    stale = set_aside + [p for p in _leftovers(target, _STAGING_SUFFIX) if _is_ours_or_empty(p)]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    if stale:
        warnings.warn(
            f"removed {len(stale)} unfinished folder(s) left beside {str(target)!r} by an "
            f"interrupted run: {_names(p.name for p in stale)}",
            ReportFolderWarning,
            stacklevel=4,
        )


@contextlib.contextmanager
def _signals_held():
    """Hold SIGINT and SIGTERM back (they arrive when the block ends), where the OS allows it."""
    can_block = (
        hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    )
    if not can_block:
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _new_folder_beside(target: Path) -> Path:
    staging = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.", suffix=_STAGING_SUFFIX, dir=target.parent)
    )
    # mkdtemp makes the folder private (0700); the report folder it becomes should
    # get the permissions any new folder gets under the user's umask.
    staging.chmod(0o777 & ~_current_umask())
    return staging


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def replacing_folder(out_dir, protect=()):
    """Yield an empty staging folder; on success it replaces ``out_dir`` as a whole.

    The folder is checked with :func:`check_report_folder` again under the lock.
    On any exception (including KeyboardInterrupt) the staging folder is removed
    and ``out_dir`` is left as it was.
    """
    target = _resolved(out_dir)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SegmentationError(
            f"cannot create the folder {str(target.parent)!r} for the report: {error}"
        ) from error
    with _folder_lock(target):
        _recover_interrupted(target)
        check_report_folder(out_dir, protect)
        staging = _new_folder_beside(target)
        aside: Path | None = None
        try:
            # Marked at once, so a staging folder a killed run leaves is known as ours.
            _write_marker(staging, [])
            yield staging
            written = [
                p.relative_to(staging).as_posix()
                for p in staging.rglob("*")
                if p.is_file() and p.name != MARKER_NAME
            ]
            _write_marker(staging, written)
            pause_for_tests("staged")
            with _signals_held():
                if target.exists():
                    aside = target.parent / f".{target.name}.{secrets.token_hex(4)}{_ASIDE_SUFFIX}"
                    os.rename(target, aside)
                try:
                    os.rename(staging, target)
                except BaseException:
                    if aside is not None:
                        os.rename(aside, target)
                        aside = None
                    raise
                pause_for_tests("swapping")
        finally:
            # Held back here too: a second Ctrl-C must not strand half a staging folder.
            with _signals_held():
                shutil.rmtree(staging, ignore_errors=True)
                if aside is not None:
                    shutil.rmtree(aside, ignore_errors=True)


# ---------------------------------------------------------------------------
# Single files: a table from `assign`, a model


def _csv_header(path: Path) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", newline="") as stream:
            first_line = stream.readline(1 << 16)
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return next(csv.reader([first_line]), None)
    except csv.Error:
        return None


def check_table_target(path, protect=(), *, owned_header_tail=("Segment", "Segment Name")) -> Path:
    """Check that a CSV may be written to ``path``; return its resolved path.

    A new file is fine; an existing one only if it is an earlier output of ours
    (its header ends with ``owned_header_tail``). The files in ``protect`` (the
    input table, the model) are never written.

    Raises
    ------
    SegmentationError
    """
    target = _resolved(path)
    _refuse_protected(target, str(path), protect, "output file", is_folder=False)
    if target.is_dir():
        raise SegmentationError(f"output file {str(path)!r} is a folder")
    if target.exists():
        header = _csv_header(target)
        tail = list(owned_header_tail)
        if header is None or header[-len(tail) :] != tail:
            raise SegmentationError(
                f"output file {str(path)!r} already exists and is not an earlier output of "
                f"kmeans-segment assign (its header does not end with {', '.join(tail)}); "
                "choose a new file name, or remove it first"
            )
    return target


def check_model_target(path) -> Path:
    """Check that a model may be written to ``path``: a new file, or an earlier model file."""
    from segmentation._model_file import MODEL_FORMAT

    target = _resolved(path)
    if target.is_dir():
        raise SegmentationError(f"model file {str(path)!r} is a folder")
    if target.exists():
        try:
            with open(target, "rb") as stream:
                start = stream.read(4096)
        except OSError as error:
            raise SegmentationError(f"cannot read existing file {str(path)!r}: {error}") from error
        if MODEL_FORMAT.encode("ascii") not in start:
            raise SegmentationError(
                f"{str(path)!r} already exists and is not a model file; choose a new file name"
            )
    return target


@contextlib.contextmanager
def replacing_file(path):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=_STAGING_SUFFIX, dir=target.parent
    )
    os.close(descriptor)
    try:
        os.chmod(temporary, 0o666 & ~_current_umask())  # mkstemp's 0600 is for secrets
        yield Path(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
