"""Excel read and write times at 100,000 rows, beside the CSV path.

Usage: ``.venv/bin/python benchmarks/bench_excel.py [--rows N] [--repeat R]``

Readers of one workbook (``make_inventory(N)`` written by riskgrade's writer, 27
columns): pandas ``read_excel(engine="calamine")``, python-calamine directly
(``to_python``), openpyxl (``read_only=True``, ``values_only``), fastexcel
(``load_sheet(...).to_arrow()``), and ``riskgrade.read_inventory`` (python-calamine,
the layout finder, column typing); the CSV path is ``riskgrade.read_inventory`` of the
same rows as CSV. Writers: riskgrade's workbook (XlsxWriter, graded sheet only),
openpyxl ``write_only``, and riskgrade's CSV writer. Candidates that are not installed
are skipped. Times are the best of ``--repeat`` runs, in fresh-ish state (same process).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--slow-repeat", type=int, default=1, help="runs of openpyxl (slow)")
    args = ap.parse_args()
    import riskgrade as rg
    from riskgrade.formats.xlsx_write import write_xlsx
    from riskgrade.io import write_frame

    inv = rg.datasets.make_inventory(args.rows, seed=1)
    d = Path(tempfile.mkdtemp(prefix="bench-excel-"))
    xlsx, csv = d / "inv.xlsx", d / "inv.csv"
    rows: list[tuple[str, str, float]] = []

    rows.append(("write", "riskgrade CSV (pyarrow)", best(lambda: write_frame(inv, csv), args.repeat)))
    rows.append(("write", "riskgrade xlsx (XlsxWriter)",
                 best(lambda: write_xlsx(inv, xlsx), args.slow_repeat)))
    try:
        import openpyxl

        def openpyxl_write() -> None:
            wb = openpyxl.Workbook(write_only=True)
            ws = wb.create_sheet("data")
            ws.append(list(inv.columns))
            for rec in inv.itertuples(index=False):
                ws.append([None if (isinstance(v, float) and v != v) else v for v in rec])
            wb.save(d / "openpyxl.xlsx")

        rows.append(("write", "openpyxl write_only", best(openpyxl_write, args.slow_repeat)))
    except ImportError:
        pass

    rows.append(("read", "riskgrade.read_inventory CSV", best(lambda: rg.read_inventory(csv), args.repeat)))
    rows.append(("read", "riskgrade.read_inventory xlsx (calamine)",
                 best(lambda: rg.read_inventory(xlsx), args.repeat)))
    try:
        import python_calamine

        def calamine_direct() -> None:
            wb = python_calamine.CalamineWorkbook.from_path(str(xlsx))
            wb.get_sheet_by_index(0).to_python()

        rows.append(("read", "python-calamine to_python", best(calamine_direct, args.repeat)))
        rows.append(("read", "pandas read_excel engine=calamine",
                     best(lambda: pd.read_excel(xlsx, engine="calamine"), args.repeat)))
    except ImportError:
        pass
    try:
        import fastexcel

        rows.append(("read", "fastexcel to_arrow",
                     best(lambda: fastexcel.read_excel(str(xlsx)).load_sheet(0).to_arrow(), args.repeat)))
    except ImportError:
        pass
    try:
        import openpyxl

        def openpyxl_read() -> None:
            wb = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
            list(wb.worksheets[0].iter_rows(values_only=True))
            wb.close()

        rows.append(("read", "openpyxl read_only", best(openpyxl_read, args.slow_repeat)))
    except ImportError:
        pass

    print(f"rows={args.rows} columns={inv.shape[1]} xlsx={xlsx.stat().st_size / 1e6:.1f} MB "
          f"csv={csv.stat().st_size / 1e6:.1f} MB")
    print("| op | candidate | seconds |")
    print("|---|---|---:|")
    for op, name, secs in rows:
        print(f"| {op} | {name} | {secs:.2f} |")


if __name__ == "__main__":
    main()
