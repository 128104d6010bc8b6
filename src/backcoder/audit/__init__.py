"""Auditing claims that are already coded (contract: the audit spec, README "audit").

A side package over the core: it reads codes and dates, not answers, and judges them with
the same official data and conventions the tree is proved against (`icd.releases` for
validity by date of service, `icd.index` for titles and notes of any code,
`icd.conventions` for billability, 7th characters and Excludes1, the rule file's `explains`
for symptoms beside a definitive diagnosis), and codes a claim's answers with the same
`Coder`. `Auditor` is a pure, picklable function of a claim; `stream` runs it over lines
with bounded caches; `dask` runs the same over a partitioned dataset.
"""

from backcoder.audit.core import Auditor

__all__ = ["Auditor"]
