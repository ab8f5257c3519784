"""Hostile and careless inputs: never a wrong result with exit 0, never lost data, never exit 1.

Each test is a case of issue 15 (engine and CLI side): multi-line cells at a block
boundary, output paths that collide with inputs or each other, outputs committed
together, SIGTERM and killed runs, compressed inputs, a column changing type mid-file,
very wide files. The CLI is called in-process (``riskgrade.cli.main``).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import riskgrade.io as rio
from riskgrade.cli import main
from riskgrade.datasets import make_inventory
from riskgrade.engine import grade_file

BLOCK = 1 << 22  # the local engine's CSV block: the first block read ends at this offset
PARSE_OPTIONS = pacsv.ParseOptions(newlines_in_values=True)  # the serial reference


def _rows(frame: pd.DataFrame) -> list[list[str]]:
    return [["" if pd.isna(v) else str(v) for v in r] for r in frame.itertuples(index=False)]


def _line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def _read(path: Path) -> pa.Table:
    return pacsv.read_csv(path, parse_options=PARSE_OPTIONS,
                          convert_options=pacsv.ConvertOptions(strings_can_be_null=True,
                                                               column_types={"notes": pa.string()}))


@pytest.fixture(scope="module")
def boundary_csv(tmp_path_factory) -> tuple[Path, int, str]:
    """A > 4 MiB inventory whose row crossing the first block end has a two-line ``notes`` cell.

    The cell's line end falls 10 bytes before the block end and its second line looks
    like a whole row (id ``RPINJECTED``), so a reader cutting blocks at any line end
    injects that row and cuts the cell short.
    """
    frame = make_inventory(16000, seed=3)
    header = [*frame.columns, "notes"]
    rows = [[*r, ""] for r in _rows(frame)]
    lines = [_line(header)] + [_line(r) for r in rows]
    starts, pos = [], 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln.encode("utf-8"))
    k = max(i for i, s in enumerate(starts) if s <= BLOCK - 700)  # line k holds the cell
    fake = ",".join([*(["RPINJECTED", *rows[k - 2][1:-1]]), "z"])
    prefix = _line([*rows[k - 1][:-1], "x"])[:-2]  # the row without its notes value and line end
    head_len = (BLOCK - 10) - (starts[k] + len(prefix.encode("utf-8")) + 1)
    note = "h" * head_len + "\n" + fake
    lines[k] = _line([*rows[k - 1][:-1], note])
    path = tmp_path_factory.mktemp("boundary") / "inv.csv"
    data = "".join(lines).encode("utf-8")
    assert data.index(b"\n", starts[k] + len(prefix)) == BLOCK - 10  # the inner line end
    path.write_bytes(data)
    return path, len(rows), note


@pytest.mark.parametrize("engine", ["local", "stream"])
def test_multiline_cell_at_block_boundary_is_not_a_row(boundary_csv, tmp_path, engine):
    """Every input row graded once, no injected risk point, the two-line cell kept whole."""
    path, n, note = boundary_csv
    out = tmp_path / "out.csv"
    assert main(["validate", str(path)]) == 0
    assert main(["score", str(path), "-o", str(out), "-q", "--engine", engine]) == 0
    got = _read(out)
    assert got.num_rows == n
    assert "RPINJECTED" not in set(got.column("risk_point_id").to_pylist())
    assert note in set(got.column("notes").to_pylist())


# ---------------------------------------------------------------------------------- outputs
@pytest.fixture
def inv(tmp_path) -> Path:
    path = tmp_path / "inv.csv"
    assert main(["sample", "--rows", "300", "--seed", "4", "-o", str(path)]) == 0
    return path


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("case", ["o_is_input", "o_hardlink", "o_symlink", "audit_is_input",
                                  "audit_is_o", "rejects_is_o", "failures_is_input"])
def test_colliding_output_paths_exit_3_and_touch_nothing(inv, case, capsys):
    """An output that is an input (also through a link) or another output: exit 3, no file changed."""
    folder = inv.parent
    out = folder / "out.csv"
    args = {
        "o_is_input": ["score", str(inv), "-o", str(inv)],
        "o_hardlink": ["score", str(inv), "-o", str(folder / "hard.csv")],
        "o_symlink": ["score", str(folder / "soft.csv"), "-o", str(inv)],
        "audit_is_input": ["score", str(inv), "-o", str(out), "--audit", str(inv)],
        "audit_is_o": ["score", str(inv), "-o", str(out), "--audit", str(out)],
        "rejects_is_o": ["score", str(inv), "-o", str(out), "--rejects", str(out),
                         "--on-error", "quarantine"],
        "failures_is_input": ["validate", str(inv), "--failures", str(inv)],
    }[case]
    if case == "o_hardlink":
        os.link(inv, folder / "hard.csv")
    if case == "o_symlink":
        os.symlink(inv, folder / "soft.csv")
    before = _listing(folder)
    assert main(args) == 3
    assert _listing(folder) == before
    assert "nothing written" in capsys.readouterr().err


def test_unwritable_audit_path_writes_nothing(inv, capsys):
    """An ``--audit`` path that cannot be created is refused before the graded file is written."""
    out = inv.parent / "out.csv"
    assert main(["score", str(inv), "-o", str(out), "--audit", str(inv / "sub" / "audit.csv")]) == 3
    assert sorted(p.name for p in inv.parent.iterdir()) == ["inv.csv", "inv.csv.meta.json"]
    assert "--audit" in capsys.readouterr().err


def test_failure_in_the_last_output_leaves_none(inv, monkeypatch):
    """The audit fails after the graded file and its sidecar were written: none of them is left."""
    real = rio.write_frame

    def failing(frame, path, **kw):
        if Path(path).name == "audit.csv":
            raise OSError("disk full")
        return real(frame, path, **kw)

    monkeypatch.setattr(rio, "write_frame", failing)
    with pytest.raises(OSError, match="disk full"):
        grade_file(inv, inv.parent / "out.csv", audit=inv.parent / "audit.csv")
    assert sorted(p.name for p in inv.parent.iterdir()) == ["inv.csv", "inv.csv.meta.json"]


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_files_of_killed_runs_are_removed_live_ones_kept(inv):
    """Temporary files and spill folders of a dead process go; those of a live one stay."""
    from riskgrade.outputs import run_marker

    dead, live = _dead_pid(), os.getppid()
    host = run_marker().split("@")[1]
    folder = inv.parent
    stale_tmp = folder / f".out.csv.rg{dead}@{host}.abc123.tmp"
    live_tmp = folder / f".out.csv.rg{live}@{host}.abc124.tmp"
    foreign = folder / ".out.csv.abc125.tmp"  # not ours to judge: no marker
    for p in (stale_tmp, live_tmp, foreign):
        p.write_bytes(b"partial")
    stale_spill = Path(tempfile.mkdtemp(prefix=f"riskgrade-rg{dead}@{host}-"))
    live_spill = Path(tempfile.mkdtemp(prefix=f"riskgrade-rg{live}@{host}-"))
    try:
        assert main(["score", str(inv), "-o", str(folder / "out.csv"), "-q"]) == 0
        assert not stale_tmp.exists() and not stale_spill.exists()
        assert live_tmp.exists() and foreign.exists() and live_spill.exists()
    finally:
        for d in (stale_spill, live_spill):
            if d.exists():
                d.rmdir()


def test_sigterm_exits_143_and_leaves_nothing(tmp_path):
    """SIGTERM during a run: exit 143, no output, no temporary file, no spill folder of that run."""
    big = tmp_path / "big.csv"
    assert main(["sample", "--rows", "300000", "--seed", "1", "-o", str(big)]) == 0
    out = tmp_path / "out.parquet"
    env = {**os.environ, "TMPDIR": str(tmp_path / "spill")}
    (tmp_path / "spill").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "riskgrade", "score", str(big), "-o", str(out),
                             "--engine", "stream", "--memory-limit", "64MB", "-q"], env=env,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list((tmp_path / "spill").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the run has started its work
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", "big.csv.meta.json", "spill"]
    assert list((tmp_path / "spill").iterdir()) == []


# ---------------------------------------------------------------------------------- compressed
@pytest.mark.parametrize("codec", ["gzip", "zstd"])
@pytest.mark.parametrize("engine", ["local", "stream"])
def test_compressed_inputs_grade_like_the_plain_file(inv, tmp_path, codec, engine):
    """``.csv.gz`` and ``.csv.zst``: validate passes and the graded rows equal the plain file's."""
    suffix = {"gzip": ".csv.gz", "zstd": ".csv.zst"}[codec]
    packed = tmp_path / f"inv{suffix}"
    if codec == "gzip":
        packed.write_bytes(gzip.compress(inv.read_bytes()))
    else:
        with pa.CompressedOutputStream(str(packed), "zstd") as fh:
            fh.write(inv.read_bytes())
    assert main(["validate", str(packed)]) == 0
    plain_out, packed_out = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["score", str(inv), "-o", str(plain_out), "-q", "--engine", engine]) == 0
    assert main(["score", str(packed), "-o", str(packed_out), "-q", "--engine", engine]) == 0
    assert plain_out.read_bytes() == packed_out.read_bytes()


def test_corrupt_gzip_exits_3(tmp_path):
    """A gzip file cut short: exit 3 (invalid input), not an unexpected error."""
    path = tmp_path / "cut.csv.gz"
    data = gzip.compress(make_inventory(200, seed=2).to_csv(index=False).encode())
    path.write_bytes(data[: len(data) // 2])
    assert main(["validate", str(path)]) == 3
    assert main(["score", str(path), "-o", str(tmp_path / "o.csv")]) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.csv.gz"]


# ---------------------------------------------------------------------------------- types, width
@pytest.mark.parametrize("engine", ["local", "stream"])
def test_pass_through_column_numeric_then_text(tmp_path, engine):
    """A pass-through column of numbers in the first block and text later is carried as text.

    ``validate`` and ``score`` agree (both succeed); every value comes out as written.
    """
    frame = make_inventory(20000, seed=5)
    extra = [str(i) for i in range(len(frame))]
    extra[-5] = "see note 7"
    frame["extra"] = extra
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    assert path.stat().st_size > BLOCK
    out = tmp_path / "o.csv"
    assert main(["validate", str(path)]) == 0
    assert main(["score", str(path), "-o", str(out), "-q", "--engine", engine]) == 0
    got = pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(column_types={"extra": pa.string()}))
    assert got.column("extra").to_pylist() == extra


def test_too_many_columns_refused_early(tmp_path, capsys):
    """More columns than Excel allows (16,384): exit 3 at once, naming the count; nothing written."""
    frame = make_inventory(5, seed=1)
    wide = pd.concat([frame, pd.DataFrame({f"x{i}": [i] * 5 for i in range(16400)})], axis=1)
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    t0 = time.perf_counter()
    assert main(["validate", str(path)]) == 3
    assert main(["score", str(path), "-o", str(tmp_path / "o.csv")]) == 3
    assert time.perf_counter() - t0 < 20
    assert "16427 columns" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wide.csv"]


def test_dask_reads_gzip_like_the_plain_file(inv, tmp_path):
    """The Dask backend reads a gzip file as one partition: the same graded file as the plain CSV."""
    pytest.importorskip("distributed")
    from riskgrade.engine.dask_backend import grade_dask_file

    packed = tmp_path / "inv.csv.gz"
    packed.write_bytes(gzip.compress(inv.read_bytes()))
    grade_dask_file(inv, tmp_path / "a.csv", processes=False, n_workers=1)
    grade_dask_file(packed, tmp_path / "b.csv", processes=False, n_workers=1)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_report_over_its_graded_file_exit_3(inv, capsys):
    """``report -o`` naming the graded file it reads: exit 3, the graded file unchanged."""
    graded = inv.parent / "graded.csv"
    assert main(["score", str(inv), "-o", str(graded), "-q"]) == 0
    before = graded.read_bytes()
    assert main(["report", str(graded), "-o", str(graded)]) == 3
    assert graded.read_bytes() == before
    assert "graded file" in capsys.readouterr().err
