"""The HTML report of a graded inventory (``riskgrade report``).

- :mod:`riskgrade.report.render` — the inputs (graded file, audit, model card) and
  :func:`render_report` / :func:`write_report`;
- :mod:`riskgrade.report.html` — the HTML document;
- :mod:`riskgrade.report.svg` — the inline SVG charts;
- :mod:`riskgrade.report.text` — the report's words in Chinese and English.
"""

from riskgrade.report.render import (
    REQUIRED_COLUMNS,
    ReportInputs,
    load_report_inputs,
    render_report,
    run_report_command,
    write_report,
)

__all__ = [
    "REQUIRED_COLUMNS",
    "ReportInputs",
    "load_report_inputs",
    "render_report",
    "run_report_command",
    "write_report",
]
