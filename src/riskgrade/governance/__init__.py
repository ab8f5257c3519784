"""The control cycle around the grades (sections 4-13 and 17 of the source document).

Pure functions over DataFrames and frozen pydantic configuration:

* levels with approval and overrides, and an append-only audit log
  (:func:`apply_overrides`, :class:`Override`, :class:`AuditLog`);
* owners by level of responsibility (:func:`assign_owners`);
* control measures in four categories, residual risk and coverage
  (:func:`residual_risk`, :func:`coverage_report`, :func:`overdue_measures`);
* segregation of duties (:func:`check_segregation`);
* early-warning cards, "三早三卡" (:func:`issue_cards`, :func:`review_cards`);
* yearly re-assessment (:func:`compare_assessments`, :func:`summarize_movement`);
* roll-up per power item and flow step, public export (:func:`rollup_levels`,
  :func:`public_export`);
* per-unit compliance summary (:func:`compliance_summary`);
* the confidentiality flag read so that it fails closed (:func:`withheld_rows`);
* signal types in Chinese (:func:`prepare_signals`), key domains (:func:`rollup_domains`),
  the accountability record of a case (:func:`accountability_record`);
* the tables as offices write them, Chinese headers and values (:func:`canonical_table`,
  :func:`split_org`, :func:`labelled`).

Every function takes dates explicitly (``as_of``): nothing reads the clock.
"""

from riskgrade.governance.accountability import ACCOUNTABILITY_COLUMNS, accountability_record
from riskgrade.governance.approval import (
    APPROVAL_COLUMNS,
    Override,
    apply_overrides,
    override_audit,
    overrides_from_frame,
)
from riskgrade.governance.auditlog import AUDIT_LOG_COLUMNS, AuditEntry, AuditLog
from riskgrade.governance.cards import CARD_COLUMNS, CARD_TYPES, CardPolicy, issue_cards, review_cards
from riskgrade.governance.compliance import compliance_summary
from riskgrade.governance.confidentiality import withheld_rows
from riskgrade.governance.controls import (
    MEASURE_CATEGORIES,
    MEASURE_COLUMNS,
    MEASURE_STATUSES,
    ResidualPolicy,
    coverage_report,
    overdue_measures,
    residual_risk,
    validate_measures,
)
from riskgrade.governance.disclosure import DisclosurePolicy, public_export, rollup_levels
from riskgrade.governance.domains import KEY_DOMAINS, parse_key_domains, rollup_domains
from riskgrade.governance.findings import FINDING_COLUMNS
from riskgrade.governance.owners import OWNER_COLUMNS, OwnerAssignment, ResponsibilityMapping, assign_owners
from riskgrade.governance.reassessment import COMPARISON_COLUMNS, compare_assessments, summarize_movement
from riskgrade.governance.segregation import (
    CONFLICT_COLUMNS,
    DEFAULT_RULES,
    SegregationRule,
    check_segregation,
)
from riskgrade.governance.signals import SIGNAL_TYPES, prepare_signals
from riskgrade.governance.tables import canonical_table, labelled, split_org
from riskgrade.governance.warning_rules import (
    DEFAULT_CARD_RULES,
    CombinationRule,
    PoissonRule,
    ThresholdRule,
    poisson_anomaly,
)

__all__ = [
    "ACCOUNTABILITY_COLUMNS",
    "APPROVAL_COLUMNS",
    "AUDIT_LOG_COLUMNS",
    "CARD_COLUMNS",
    "CARD_TYPES",
    "COMPARISON_COLUMNS",
    "CONFLICT_COLUMNS",
    "DEFAULT_CARD_RULES",
    "DEFAULT_RULES",
    "FINDING_COLUMNS",
    "KEY_DOMAINS",
    "MEASURE_CATEGORIES",
    "MEASURE_COLUMNS",
    "MEASURE_STATUSES",
    "OWNER_COLUMNS",
    "SIGNAL_TYPES",
    "AuditEntry",
    "AuditLog",
    "CardPolicy",
    "CombinationRule",
    "DisclosurePolicy",
    "Override",
    "OwnerAssignment",
    "PoissonRule",
    "ResidualPolicy",
    "ResponsibilityMapping",
    "SegregationRule",
    "ThresholdRule",
    "accountability_record",
    "apply_overrides",
    "assign_owners",
    "canonical_table",
    "check_segregation",
    "compare_assessments",
    "compliance_summary",
    "coverage_report",
    "issue_cards",
    "labelled",
    "overdue_measures",
    "override_audit",
    "overrides_from_frame",
    "parse_key_domains",
    "poisson_anomaly",
    "prepare_signals",
    "public_export",
    "residual_risk",
    "review_cards",
    "rollup_domains",
    "rollup_levels",
    "split_org",
    "summarize_movement",
    "validate_measures",
    "withheld_rows",
]
