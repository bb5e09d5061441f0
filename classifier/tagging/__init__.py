"""Batch tagging of whole archives: streaming, parallel, resumable, on this machine or a Dask cluster.

:func:`tag_archive` runs a :class:`TagJob`; :mod:`~classifier.tagging.job` tells how a
run reads, tags and commits. The modules, in the order a run uses them:

* :mod:`~classifier.tagging.inputs`: the data sources, and the fingerprint a resumed run must match.
* :mod:`~classifier.tagging.store`: the staging folder: committed parts, the checkpoint, the finish.
* :mod:`~classifier.tagging.lines`: JSON-lines inputs, cut into raw blocks of lines.
* :mod:`~classifier.tagging.chunks`: every other input, read record by record into chunks.
* :mod:`~classifier.tagging.partitions`: the Dask engine's way: workers read partitions of the inputs.
* :mod:`~classifier.tagging.inflight`: the :class:`~classifier.tagging.inflight.Tagger`
  protocol, and the loop that keeps a tagger busy and takes its results in order.
* :mod:`~classifier.tagging.workers`: the local taggers (this process, a pool of processes).
* :mod:`~classifier.tagging.dask_engine`: the tagger of a Dask cluster.
* :mod:`~classifier.tagging.outputs`: output rows and their bytes (JSON lines, CSV, Parquet).
* :mod:`~classifier.tagging.commits`: each tagged chunk committed in input order.
"""

from classifier.tagging.job import ENGINES, TagJob, TagSummary, tag_archive

__all__ = ["ENGINES", "TagJob", "TagSummary", "tag_archive"]
