"""Corrections from the newsroom: what editors said a headline's topics are, kept to learn from.

:mod:`classifier.feedback.store` keeps them in SQLite (one file, the default)
and will keep them in PostgreSQL for several service hosts.
"""
