"""headline-tagger's ML core: read news datasets, train, evaluate and predict topics.

A plain library: nothing here imports Flask or click (except :mod:`classifier.cli`,
the command-line adapter).
"""
