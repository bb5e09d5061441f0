"""Batch tagging of whole archives: streaming, parallel, resumable, on this machine or a Dask cluster.

:func:`tag_archive` runs a :class:`TagJob` (see :mod:`classifier.tagging.job`
for how a run reads, tags and commits).
"""

from classifier.tagging.job import ENGINES, TagJob, TagSummary, tag_archive

__all__ = ["ENGINES", "TagJob", "TagSummary", "tag_archive"]
