"""The HTML report of a graded inventory (``riskgrade report``).

- :mod:`riskgrade.report.inputs` — the inputs (graded file, audit, model card), read and checked;
- :mod:`riskgrade.report.render` — :func:`render_report` / :func:`write_report`;
- :mod:`riskgrade.report.markup` — CSS, escaping, tables;
- :mod:`riskgrade.report.html` — the HTML document;
- :mod:`riskgrade.report.svg` — the inline SVG charts;
- :mod:`riskgrade.report.text` — the report's words in Chinese and English.
"""

from riskgrade.report.inputs import REQUIRED_COLUMNS, ReportInputs, load_report_inputs
from riskgrade.report.render import render_report, run_report_command, write_report

__all__ = [
    "REQUIRED_COLUMNS",
    "ReportInputs",
    "load_report_inputs",
    "render_report",
    "run_report_command",
    "write_report",
]
