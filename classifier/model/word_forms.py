"""Which word forms the word features count as one token: each form apart, or every form of an English stem.

A newsroom that writes "elections" and one that writes "election" or "elected" mean the same
topic; counted as one token, the features of an outlet the model never saw meet more of what it
learned (bench/README.md, "Levers, each measured"). Stems are Snowball's English (Porter 2)
stemmer's, from PyStemmer, the Snowball project's own C binding: a few microseconds a word, and
each distinct form is stemmed once, while fitting; tagging looks forms up in the fitted tables.

A stem's token is spelled as the form of it met most often (the first met on a tie), so feature
names and explanations read as words ("election", not "elect").
"""

from __future__ import annotations

import functools
from itertools import islice

import numpy as np

__all__ = ["WordForms"]


@functools.cache
def _english_stemmer():
    import Stemmer  # loaded only by models that stem

    return Stemmer.Stemmer("english")


class WordForms:
    """The word forms met so far, in the order met, and the token each one counts as.

    Feed each batch's forms to :meth:`tokens`; :meth:`spelling` and :meth:`merged` then say what
    the tokens are.
    """

    def __init__(self, stemming: bool) -> None:
        self.stemming = stemming
        self.numbers: dict[str, int] = {}
        """Form → its number, in the order met: what :meth:`tokens` is given."""
        self._token_of = np.zeros(0, dtype=np.int64)  # form number → token id
        self._stem_tokens: dict[str, int] = {}  # stem → token id
        self._occurrences = np.zeros(0, dtype=np.int64)  # form number → times met

    @property
    def token_count(self) -> int:
        """Distinct tokens so far."""
        return len(self._stem_tokens) if self.stemming else len(self.numbers)

    def tokens(self, form_numbers: np.ndarray) -> np.ndarray:
        """The token id of each form of a batch, given as its number in :attr:`numbers`.

        The forms the batch added to :attr:`numbers` get their tokens here.
        """
        if not self.stemming:
            return form_numbers
        # The forms this batch added are the last ones in: read from the end, not the whole table each batch.
        fresh = list(islice(reversed(self.numbers), len(self.numbers) - len(self._token_of)))[::-1]
        if fresh:
            stems = _english_stemmer().stemWords(fresh)
            new_tokens = [self._stem_tokens.setdefault(stem, len(self._stem_tokens)) for stem in stems]
            self._token_of = np.concatenate([self._token_of, np.array(new_tokens, dtype=np.int64)])
            self._occurrences = np.concatenate([self._occurrences, np.zeros(len(fresh), dtype=np.int64)])
        self._occurrences += np.bincount(form_numbers, minlength=len(self._occurrences))
        return self._token_of[form_numbers]

    def spelling(self) -> np.ndarray:
        """Each token id's text: its form, or its stem's most frequent form."""
        forms = np.array(list(self.numbers), dtype=object)
        if not self.stemming:
            return forms
        # By token, then most met first, then first met: the first of each token's run spells it.
        order = np.lexsort((np.arange(len(forms)), -self._occurrences, self._token_of))
        first = np.flatnonzero(np.diff(self._token_of[order], prepend=-1))
        spelled = np.empty(self.token_count, dtype=object)
        spelled[self._token_of[order[first]]] = forms[order[first]]
        return spelled

    def merged(self) -> dict[str, str]:
        """Every form counted as a token spelled otherwise → that spelling (empty without stemming)."""
        if not self.stemming:
            return {}
        spelled = self.spelling()[self._token_of]
        return {form: text for form, text in zip(self.numbers, spelled.tolist(), strict=True) if form != text}
