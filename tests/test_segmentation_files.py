"""What kmeans-segment does to the user's files: never loses or corrupts them (issue 17).

Each numbered fault of the issue that belongs to the file layer has a test here
that failed on the code before the fix:

1. ``--out`` pointing at a folder with other files (or the current folder, or
   the input) wrote over them            -> test_out_*_is_refused*, test_assign_*
2. a failure part-way into a report folder left a mix of old and new
                                          -> test_failure_part_way_keeps_the_old_report
3. SIGTERM left the staging folder behind -> test_signal_*
4. two runs into one --out at once        -> test_a_second_run_*
7. edited model files                      -> test_model_file_*, the fuzz tests
8. an ASCII-only terminal                  -> test_ascii_terminal_*, plus closed pipes

(5 and 6, duplicate headers and wrong separators, belong to reading tables:
tests/test_segmentation_data.py.)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation import (
    SegmentationError,
    _model_file,
    _output,
    datasets,
    export,
    read_model,
    report,
    segment_customers,
)
from segmentation.cli import main
from segmentation.model import SegmentModel

REPO = Path(__file__).resolve().parents[1]
QUICK = ["--no-plots", "--n-init", "1", "--k", "3"]


# ---------------------------------------------------------------------------
# Helpers


@pytest.fixture(scope="module")
def result():
    return segment_customers(datasets.make_customers(60, random_state=3), k=3, n_init=1)


@pytest.fixture(scope="module")
def model_text(result):
    return result.model.to_json()


@pytest.fixture
def customers_csv(tmp_path):
    path = tmp_path / "customers.csv"
    datasets.make_customers(60, random_state=1).to_csv(path, index=False)
    return path


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with the sha256 of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(parent: Path) -> list[str]:
    """Staging or set-aside folders of ours beside a report."""
    return sorted(p.name for p in parent.iterdir() if p.name.endswith((".partial", ".replaced")))


def run_cli(argv, capsys):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_whole_report(folder: Path) -> None:
    """A report folder that one run wrote completely: every file its marker lists is there."""
    marker = json.loads((folder / _output.MARKER_NAME).read_text())
    assert marker["tool"] == "kmeans-segment" and marker["files"]
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk == set(marker["files"]) | {_output.MARKER_NAME}
    assert len(pd.read_csv(folder / "customers.csv")) > 0
    read_model(folder / "model.json")


# ---------------------------------------------------------------------------
# 1. The tool writes only files it owns


def test_out_dot_is_refused_and_nothing_is_written(tmp_path, customers_csv, capsys, monkeypatch):
    (tmp_path / "notes.txt").write_text("my notes")
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    status, _, err = run_cli(["run", "customers.csv", "--out", ".", *QUICK], capsys)
    assert status == 2 and "output folder '.' holds the input file 'customers.csv'" in err
    # With the input elsewhere, the current folder (or one above it) is still refused.
    elsewhere = tmp_path / "a" / "b"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    for out in (".", ".."):
        status, _, err = run_cli(["run", customers_csv, "--out", out, *QUICK], capsys)
        assert status == 2 and "is the current folder or above it" in err
    assert snapshot(tmp_path) == before


def test_out_folder_with_other_files_is_refused_naming_them(
    tmp_path, customers_csv, capsys, monkeypatch
):
    out = tmp_path / "work"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    (out / "budget.xlsx").write_bytes(b"\x00\x01")
    before = snapshot(tmp_path)

    def no_analysis(*args, **kwargs):
        raise AssertionError("--out is refused before the analysis runs")

    monkeypatch.setattr("segmentation.analysis.segment_customers", no_analysis)
    status, _, err = run_cli(["run", customers_csv, "--out", out, *QUICK], capsys)
    assert status == 2
    assert "not empty and is not a kmeans-segment report" in err
    assert "budget.xlsx, notes.txt" in err
    assert snapshot(tmp_path) == before


def test_out_folder_holding_the_input_is_refused(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    table = data / "customers.csv"
    datasets.make_customers(40, random_state=1).to_csv(table, index=False)
    before = snapshot(tmp_path)
    for out in (data, tmp_path):
        status, _, err = run_cli(["run", table, "--out", out, *QUICK], capsys)
        assert status == 2 and "holds the input file" in err
    status, _, err = run_cli(["run", table, "--out", table, *QUICK], capsys)
    assert status == 2 and "exists and is not a folder" in err
    assert snapshot(tmp_path) == before


def test_an_earlier_report_is_replaced_but_not_if_the_user_added_files(
    tmp_path, customers_csv, capsys
):
    out = tmp_path / "report"
    assert run_cli(["run", customers_csv, "--out", out, *QUICK], capsys)[0] == 0
    assert_whole_report(out)
    written = json.loads((out / _output.MARKER_NAME).read_text())["written"]
    status, _, err = run_cli(
        ["run", customers_csv, "--out", out, "--k", "4", "--no-plots", "--n-init", "1"], capsys
    )
    assert status == 0, err
    assert_whole_report(out)
    assert pd.read_csv(out / "customers.csv")["Segment"].max() == 4
    assert json.loads((out / _output.MARKER_NAME).read_text())["written"] >= written
    # The user's own file inside a report would be lost by the swap: refused instead.
    (out / "my-notes.txt").write_text("mine")
    before = snapshot(out)
    status, _, err = run_cli(["run", customers_csv, "--out", out, *QUICK], capsys)
    assert status == 2 and "files it did not write: my-notes.txt" in err
    assert snapshot(out) == before


def test_an_empty_folder_is_used(tmp_path, customers_csv, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    assert run_cli(["run", customers_csv, "--out", out, *QUICK], capsys)[0] == 0
    assert_whole_report(out)


@pytest.fixture
def model_and_table(tmp_path, result):
    model = export.write_model(result.model, tmp_path / "model.json")
    table = tmp_path / "new.csv"
    datasets.make_customers(12, random_state=4).to_csv(table, index=False)
    return model, table


def test_assign_never_writes_its_input_the_model_or_an_unrelated_file(
    tmp_path, model_and_table, capsys
):
    model, table = model_and_table
    (tmp_path / "notes.csv").write_text("name,value\nx,1\n")
    before = snapshot(tmp_path)
    for target, message in (
        (table, "is the input file"),
        (model, "is the input file"),
        (tmp_path / "notes.csv", "not an earlier output of kmeans-segment"),
        (tmp_path, "is a folder"),
    ):
        status, _, err = run_cli(["assign", model, table, "--out", target], capsys)
        assert status == 2 and message in err, err
    assert snapshot(tmp_path) == before


def test_assign_replaces_its_own_earlier_output(tmp_path, model_and_table, capsys):
    model, table = model_and_table
    out = tmp_path / "assigned.csv"
    for _ in range(2):
        status, stdout, err = run_cli(["assign", model, table, "--out", out], capsys)
        assert status == 0, err
    assert len(pd.read_csv(out)) == 12
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_write_model_refuses_to_overwrite_a_file_that_is_not_a_model(tmp_path, result):
    table = tmp_path / "customers.csv"
    table.write_text("a,b\n1,2\n")
    with pytest.raises(SegmentationError, match="not a model file"):
        export.write_model(result.model, table)
    assert table.read_text() == "a,b\n1,2\n"
    path = export.write_model(result.model, tmp_path / "m.json")
    export.write_model(result.model, path)  # an earlier model is replaced
    assert read_model(path).names == result.names


# ---------------------------------------------------------------------------
# 2. All or nothing


def test_failure_part_way_keeps_the_old_report(result, tmp_path, monkeypatch):
    out = tmp_path / "report"
    export.write_report(result, out, plots=False)
    before = snapshot(out)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report, "render_markdown", broken)
    with pytest.raises(OSError, match="disk full"):
        export.write_report(result, out, plots=False)
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_stale_staging_folder_of_a_killed_run_is_removed_and_reported(result, tmp_path):
    out = tmp_path / "report"
    export.write_report(result, out, plots=False)
    stale = tmp_path / ".report.abc123.partial"
    stale.mkdir()
    (stale / _output.MARKER_NAME).write_text(json.dumps({"tool": "kmeans-segment", "files": []}))
    (stale / "customers.csv").write_text("half a table")
    not_ours = tmp_path / ".report.zzz.partial"
    not_ours.mkdir()
    (not_ours / "keep.txt").write_text("not ours")
    with pytest.warns(_output.ReportFolderWarning, match="removed 1 unfinished folder"):
        export.write_report(result, out, plots=False)
    assert not stale.exists()
    assert (not_ours / "keep.txt").read_text() == "not ours"


def test_an_old_report_set_aside_by_a_killed_swap_is_restored(result, tmp_path):
    out = tmp_path / "report"
    export.write_report(result, out, plots=False)
    before = snapshot(out)
    aside = tmp_path / ".report.0badf00d.replaced"
    out.rename(aside)  # what a SIGKILL between the two renames of the swap leaves
    with pytest.warns(_output.ReportFolderWarning, match="restored the previous report"):
        _output._recover_interrupted(out.resolve())
    assert snapshot(out) == before and leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# 3. Signals: a subprocess paused at a known stage, then signalled


def start_cli(argv, pause: str | None, cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    if pause:
        env[_output.PAUSE_ENV] = pause
    return subprocess.Popen(
        [sys.executable, "-m", "segmentation", *map(str, argv)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_pause(process: subprocess.Popen) -> None:
    """Read stderr until the pause hook's line (it flushes it, then sleeps)."""
    seen = []
    for line in process.stderr:
        if "test pause at" in line:
            return
        seen.append(line)
    raise AssertionError("the run ended without pausing:\n" + "".join(seen))


posix_signals = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
def old_report(result, tmp_path):
    out = tmp_path / "report"
    export.write_report(result, out, plots=False)
    return out


@posix_signals
@pytest.mark.parametrize(
    ("stage", "signum", "status"),
    [
        ("writing", signal.SIGTERM, 143),
        ("staged", signal.SIGINT, 130),
    ],
)
def test_signal_while_writing_keeps_the_old_report_and_no_staging(
    old_report, customers_csv, stage, signum, status
):
    before = snapshot(old_report)
    input_bytes = customers_csv.read_bytes()
    process = start_cli(
        ["run", customers_csv, "--out", old_report, *QUICK], stage, old_report.parent
    )
    wait_for_pause(process)
    assert leftovers(old_report.parent)  # it has started writing
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert "Traceback" not in err
    assert snapshot(old_report) == before
    assert leftovers(old_report.parent) == []
    assert customers_csv.read_bytes() == input_bytes


@posix_signals
@pytest.mark.slow  # a few seconds of subprocesses: CI runs it with -m slow
def test_signal_during_the_swap_waits_for_it_to_finish(old_report, customers_csv):
    process = start_cli(
        ["run", customers_csv, "--out", old_report, *QUICK], "swapping:1", old_report.parent
    )
    wait_for_pause(process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    # SIGTERM is held back during the two renames: it lands after the new report is in.
    assert process.returncode == 143, err
    assert_whole_report(old_report)
    assert pd.read_csv(old_report / "customers.csv")["Segment"].max() == 3
    assert leftovers(old_report.parent) == []


@posix_signals
def test_sigkill_leaves_staging_that_the_next_run_removes(old_report, customers_csv, capsys):
    before = snapshot(old_report)
    process = start_cli(
        ["run", customers_csv, "--out", old_report, *QUICK], "writing", old_report.parent
    )
    wait_for_pause(process)
    process.kill()
    process.communicate(timeout=60)
    assert snapshot(old_report) == before
    assert len(leftovers(old_report.parent)) == 1
    status, _, err = run_cli(["run", customers_csv, "--out", old_report, *QUICK], capsys)
    assert status == 0
    assert "warning: removed 1 unfinished folder(s)" in err
    assert leftovers(old_report.parent) == []
    assert_whole_report(old_report)


@posix_signals
@pytest.mark.slow  # a few seconds of subprocesses: CI runs it with -m slow
def test_sigterm_at_random_moments_leaves_a_whole_report(old_report, customers_csv):
    """Whenever SIGTERM lands, the folder holds the old report or a whole new one, nothing else."""
    before = snapshot(old_report)
    started = time.perf_counter()
    process = start_cli(
        ["run", customers_csv, "--out", old_report, *QUICK], None, old_report.parent
    )
    process.communicate(timeout=120)
    duration = time.perf_counter() - started
    assert process.returncode == 0
    for delay in random.Random(17).sample([i / 10 * duration for i in range(2, 11)], 2):
        before = snapshot(old_report)
        process = start_cli(
            ["run", customers_csv, "--out", old_report, *QUICK], None, old_report.parent
        )
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert "Traceback" not in err
        assert process.returncode in (0, 143, -signal.SIGTERM), err
        if snapshot(old_report) != before:
            assert_whole_report(old_report)
        assert leftovers(old_report.parent) == []


# ---------------------------------------------------------------------------
# 4. Concurrent runs


def test_a_second_run_gives_up_naming_the_lock(result, tmp_path, monkeypatch):
    from filelock import FileLock

    out = tmp_path / "report"
    monkeypatch.setenv(_output.LOCK_TIMEOUT_ENV, "0.2")
    with (
        FileLock(str(tmp_path / ".report.kmeans-segment.lock")),
        pytest.raises(
            SegmentationError,
            match=r"another kmeans-segment run .*\.report\."
            r"kmeans-segment\.lock.*Waited 0.2 s",
        ),
    ):
        export.write_report(result, out, plots=False)
    assert not out.exists()


def test_a_second_run_waits_for_the_first(result, tmp_path, monkeypatch):
    from filelock import FileLock

    out = tmp_path / "report"
    monkeypatch.setenv(_output.LOCK_TIMEOUT_ENV, "30")
    # thread_local=False: the timer thread releases what this thread acquired.
    lock = FileLock(str(tmp_path / ".report.kmeans-segment.lock"), thread_local=False)
    lock.acquire()
    released = threading.Timer(0.5, lock.release)
    released.start()
    started = time.perf_counter()
    export.write_report(result, out, plots=False)
    released.join()
    assert time.perf_counter() - started >= 0.4
    assert_whole_report(out)


def test_two_runs_at_once_each_leave_a_whole_report(result, tmp_path):
    out = tmp_path / "report"
    errors = []

    def write():
        try:
            export.write_report(result, out, plots=False)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_whole_report(out)
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# 7. Model files: checked, never trusted


def edited(model_text: str, edit) -> bytes:
    description = json.loads(model_text)
    edit(description)
    return json.dumps(description).encode()


def load(data: bytes, **kwargs) -> SegmentModel:
    return SegmentModel.from_json(data, source="model.json", **kwargs)


def test_model_file_round_trip_and_checksum(result, model_text):
    loaded = load(model_text.encode())
    assert loaded.names == result.names
    assert (loaded.centers == result.model.centers).all()
    assert json.loads(model_text)["checksum"] == _model_file.checksum_of(json.loads(model_text))


def test_model_file_deep_nesting_is_refused_before_parsing():
    for data in (b"[" * 100_000, b'{"a":' * 50_000, b"[" * 20 + b"]" * 20):
        with pytest.raises(SegmentationError, match="nests lists or objects"):
            load(data)
    # Brackets inside strings do not count.
    with pytest.raises(SegmentationError, match="unknown field"):
        load(b'{"format": "kmeans-segment-model/1", "x": "[[[[[[[[[[[[[[[[[[[[[[[["}')


def test_model_file_size_is_checked_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(_model_file, "MAX_MODEL_BYTES", 1000)
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 1001)
    with pytest.raises(SegmentationError, match="more than a model file can be"):
        read_model(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["scaler"]["center"].pop(),
            r"scaler.center has 1 value\(s\) but the model has 2",
        ),
        (
            lambda d: d["scaler"]["scale"].__setitem__(1, -2.0),
            r"scaler.scale\[1\] is -2.0; every scale",
        ),
        (lambda d: d["scaler"]["scale"].__setitem__(0, 0), r"scaler.scale\[0\] is 0.0"),
        (lambda d: d["segments"].pop(1), r"segments are numbered \[1, 3\]; 2 segment\(s\)"),
        (
            lambda d: [s.__setitem__("number", s["number"] - 1) for s in d["segments"]],
            r"segments are numbered \[0, 1, 2\]",
        ),
        (lambda d: d["segments"][2].__setitem__("number", 1), r"numbered \[1, 1, 2\]"),
        (
            lambda d: d["segments"][0].__setitem__("number", True),
            r"segments\[0\].number must be a whole",
        ),
        (
            lambda d: d["segments"][0]["center_scaled"].pop(),
            r"segments\[0\].center_scaled has 1 value",
        ),
        (
            lambda d: d["segments"][1]["center_scaled"].__setitem__(0, "1.5"),
            r"segments\[1\].center_scaled\[0\] must be a number, not the text '1.5'",
        ),
        (
            lambda d: d["segments"][1]["center_scaled"].__setitem__(0, 1e400),
            "Infinity, which is not",
        ),
        (
            lambda d: d["segments"][1]["center_scaled"].__setitem__(0, 10**400),
            r"center_scaled\[0\] must be a finite number",
        ),
        (
            lambda d: d["segments"][1].__setitem__(
                "center_scaled", d["segments"][0]["center_scaled"]
            ),
            "center_original does not match center_scaled",
        ),
        (
            lambda d: d["segments"][1].__setitem__("name", d["segments"][0]["name"]),
            "repeat the name",
        ),
        (lambda d: d["segments"][0].pop("name"), r"segments\[0\].name is missing"),
        (lambda d: d["features"][0].__setitem__("column", 7), r"features\[0\].column must be text"),
        (lambda d: d["features"].pop(), "feature_columns is"),
        (lambda d: d.__setitem__("feature_columns", ["a", "b"]), "feature_columns is"),
        (lambda d: d["scaler"].__setitem__("method", "magic"), "scaler.method is the text 'magic'"),
        (lambda d: d.__setitem__("format", "kmeans-segment-model/9"), "format is the text"),
        (lambda d: d.__setitem__("__reduce__", "os.system"), r"unknown field\(s\) '__reduce__'"),
        (lambda d: d.__setitem__("checksum", "md5:abc"), "checksum must be 'sha256:'"),
    ],
)
def test_model_file_fields_are_checked(model_text, edit, message):
    with pytest.raises(SegmentationError, match=message) as raised:
        load(edited(model_text, edit))
    text = str(raised.value)
    assert text.startswith("model file 'model.json'")
    for internal in ("KMeans", "n_clusters", "Traceback", "KeyError", "broadcast"):
        assert internal not in text


def test_model_file_identical_centres_are_refused(model_text):
    def same_centres(description):
        second = description["segments"][1]
        second["center_scaled"] = list(description["segments"][0]["center_scaled"])
        second["center_original"] = list(description["segments"][0]["center_original"])

    with pytest.raises(SegmentationError, match="identical centres"):
        load(edited(model_text, same_centres))


def test_model_file_edits_that_look_valid_fail_the_checksum(model_text):
    renamed = edited(model_text, lambda d: d["segments"][0].__setitem__("name", "Students"))
    with pytest.raises(SegmentationError, match="was changed after kmeans-segment wrote it"):
        load(renamed)
    assert load(renamed, verify_checksum=False).names[0] == "Students"
    with pytest.raises(SegmentationError, match="has no 'checksum' field"):
        load(edited(model_text, lambda d: d.pop("checksum")))


def test_model_file_json_oddities(model_text):
    cases = {
        b"": "not valid JSON",
        b"\xff\xfe{}": "not UTF-8 text",
        b"[1, 2]": "must be an object, not a list",
        b'{"a": NaN}': "not a number JSON allows",
        b'{"format": 1, "format": 2}': "repeats the key",
        b"1" * 5000: "not valid JSON",
        b'"\\ud800"': "must be an object",
        model_text.encode()[:-5]: "not valid JSON",
    }
    for data, message in cases.items():
        with pytest.raises(SegmentationError, match=message):
            load(data)


def test_model_file_loading_executes_nothing(model_text, monkeypatch):
    import builtins
    import pickle

    def forbidden(*args, **kwargs):
        raise AssertionError("loading a model must not execute code")

    for module, name in (
        (builtins, "eval"),
        (builtins, "exec"),
        (pickle, "loads"),
        (pickle, "load"),
    ):
        monkeypatch.setattr(module, name, forbidden)
    assert load(model_text.encode()).n_segments == 3


def test_assign_with_an_edited_model_is_one_line_exit_2(tmp_path, model_text, capsys):
    path = tmp_path / "model.json"
    path.write_bytes(edited(model_text, lambda d: d["scaler"]["scale"].__setitem__(0, -1.0)))
    table = tmp_path / "new.csv"
    datasets.make_customers(5, random_state=2).to_csv(table, index=False)
    status, out, err = run_cli(["assign", path, table], capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "scaler.scale[0] is -1.0" in err


# The fuzz tests: whatever the bytes, loading raises SegmentationError with a
# message, or (only for an unchanged file) returns the model.

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_fuzz_random_bytes(data):
    with pytest.raises(SegmentationError) as raised:
        load(data)
    assert str(raised.value).strip()


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choice=st.data())
def test_fuzz_edited_model_json(model_text, choice):
    description = json.loads(model_text)
    paths = list(_paths(description))[1:]
    path = choice.draw(st.sampled_from(paths))
    action = choice.draw(st.sampled_from(["replace", "delete", "add"]))
    parent = description
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    if action == "replace":
        parent[key] = choice.draw(json_values)
    elif action == "delete":
        del parent[key]
    elif isinstance(parent, dict):
        parent[choice.draw(st.text(max_size=6))] = choice.draw(json_values)
    else:
        parent.insert(key, choice.draw(json_values))
    data = json.dumps(description).encode()
    unchanged = json.dumps(description, sort_keys=True) == json.dumps(
        json.loads(model_text), sort_keys=True
    )
    for verify in (True, False):
        try:
            model = load(data, verify_checksum=verify)
        except SegmentationError as error:
            assert str(error).strip()
            assert not unchanged or not verify
        else:
            assert unchanged or not verify
            assert model.n_segments == len(model.names) == model.centers.shape[0]


@settings(max_examples=100)
@given(text=st.text(alphabet='[]{}":,0123456789.eE-+ \\abcdeflnrstu', max_size=200))
def test_fuzz_json_shaped_text(text):
    with pytest.raises(SegmentationError):
        load(text.encode())


# ---------------------------------------------------------------------------
# 8. Printing: any terminal encoding, a closed pipe


def ascii_stream():
    return io.TextIOWrapper(io.BytesIO(), encoding="ascii")


def test_ascii_terminal_prints_what_it_can(tmp_path, monkeypatch):
    frame = datasets.make_customers(60, random_state=1).rename(
        columns={"Annual Income (k$)": "Revenu annuel (k€)"}
    )
    table = tmp_path / "clients.csv"
    frame.to_csv(table, index=False)
    out = tmp_path / "rapport-été"
    stdout, stderr = ascii_stream(), ascii_stream()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    status = main(
        [
            "run",
            str(table),
            "--features",
            "Revenu annuel (k€)",
            "spending",
            "--out",
            str(out),
            *QUICK,
        ]
    )
    stdout.flush()
    stderr.flush()
    printed = stdout.buffer.getvalue().decode("ascii")
    assert status == 0, stderr.buffer.getvalue()
    assert "rapport-?t?" in printed and "3 segments among 60 customers" in printed
    assert_whole_report(out)
    assert stdout.errors == "strict"  # the stream is given back as it was


class ClosedPipe(io.TextIOBase):
    """A stdout whose reader has gone away."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize(
    "command", ["demo", "run", "assign", pytest.param("teach", marks=pytest.mark.slow)]
)
def test_closed_pipe_exits_quietly(
    tmp_path, customers_csv, model_and_table, monkeypatch, capsys, command
):
    model, table = model_and_table
    argv = {
        "demo": ["demo", "--customers", "50", "--out", tmp_path / "d", *QUICK],
        "run": ["run", customers_csv, "--out", tmp_path / "r", *QUICK],
        "assign": ["assign", model, table],
        "teach": ["teach", "--out", tmp_path / "t", "--n-samples", "60", "--fps", "4"],
    }[command]
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    status = main([str(a) for a in argv])
    assert status == 141
    assert capsys.readouterr().err == ""


@posix_signals
def test_assign_into_head_exits_quietly(tmp_path, result):
    """`kmeans-segment assign model.json big.csv | head -1`: no traceback, input unchanged."""
    model = export.write_model(result.model, tmp_path / "model.json")
    table = tmp_path / "many.csv"
    # More than a pipe buffer (64 KiB) of output, so the writer meets the closed pipe.
    datasets.make_customers(4000, random_state=5).to_csv(table, index=False)
    input_bytes = table.read_bytes()
    process = start_cli(["assign", model, table], None, tmp_path)
    first_line = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    process.wait(timeout=60)
    assert first_line.startswith("CustomerID,")
    assert err == "" and process.returncode == 141
    assert table.read_bytes() == input_bytes
