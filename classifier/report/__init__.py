"""Evaluation reports: one self-contained HTML page of metrics, figures and the worst mistakes.

Plotting needs the optional ``report`` extra (matplotlib); without it
:func:`evaluation_report` raises :class:`ReportUnavailable`.
"""

from classifier.report.builder import ReportRows, check_report_path, evaluation_report, write_report
from classifier.report.figures import ReportUnavailable, require_matplotlib

__all__ = [
    "ReportRows",
    "ReportUnavailable",
    "check_report_path",
    "evaluation_report",
    "require_matplotlib",
    "write_report",
]
