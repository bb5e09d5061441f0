"""Where records come from: files and folders in every supported format, dataset presets, labelled data.

* :mod:`~classifier.inputs.textio`: open plain or compressed files as streams, detect formats.
* :mod:`~classifier.inputs.records`: the :class:`Record` every reader yields and the report of rejects.
* :mod:`~classifier.inputs.readers`: the generic readers (JSON lines, CSV/TSV, Parquet, folders).
* :mod:`~classifier.inputs.presets`: the published datasets, each in its own format, with its quirks.
* :mod:`~classifier.inputs.datasets`: labelled rows gathered from several sources through label maps.
"""
