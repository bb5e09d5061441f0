"""Where records come from: files and folders in every supported format, dataset presets, labelled data.

* :mod:`~classifier.inputs.records`: the read options, the raw row, the :class:`Record` every reader
  yields and the report of rejected rows.
* :mod:`~classifier.inputs.textio`: open plain or compressed files as streams, detect formats.
* :mod:`~classifier.inputs.formats`: one parser per generic format (JSON lines, CSV/TSV, Parquet,
  labelled folders), file to raw rows.
* :mod:`~classifier.inputs.cleaning`: raw fields to a clean record.
* :mod:`~classifier.inputs.readers`: a path and options to records: picks the format, the files and
  the parser.
* :mod:`~classifier.inputs.reuters`: the Reuters-21578 SGML reader.
* :mod:`~classifier.inputs.presets`: the registry of published datasets, each in its own format, with
  its quirks.
* :mod:`~classifier.inputs.sources`: data arguments, ``PRESET:PATH`` or a plain path.
* :mod:`~classifier.inputs.datasets`: labelled rows gathered from several sources through label maps.
* :mod:`~classifier.inputs.estimate`: a cheap estimate of the rows a set of sources holds, for ETAs.
"""
