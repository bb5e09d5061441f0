"""Corrections from the newsroom: what editors said a headline's topics are, kept to learn from.

:func:`classifier.feedback.store.open_store` opens the store: an SQLite file
(the default) or a PostgreSQL database that several service hosts share.
"""
