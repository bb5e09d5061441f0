"""Word n-gram document frequencies, counted batch by batch: what fits the word features' vocabulary and idf.

scikit-learn's ``TfidfVectorizer.fit`` counts the n-grams of the whole corpus at
once, one Python dictionary entry per distinct n-gram and one Python step per
n-gram, and builds the count matrix of every n-gram before pruning it by
``min_df``. :class:`NgramCounts` keeps per n-gram order two sorted numpy arrays
instead, the n-grams' integer keys (token ids as digits) and their document and
term counts, and adds each batch's counts to them with numpy: the memory is that
of the distinct n-grams, and a corpus can be counted in batches as it is read.
The n-grams' text is spelled only for the ones that become features.

The counts are exact while the distinct n-grams of an order stay within
``max_candidates``. Past that, the ones seen in a single document so far are
dropped (and counted again from their next document), so that the memory stays
bounded whatever the corpus: an n-gram whose documents lie far apart in a huge
corpus may then miss ``min_df``.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np

from classifier import settings as defaults
from classifier.model.tokens import word_tokens
from classifier.model.word_forms import WordForms

__all__ = ["NgramCounts"]

_BATCH = 50_000  # documents counted at once: their temporary arrays are several times their n-grams
_PENDING_KEYS = 1_000_000  # n-gram counts that wait to be merged, at least (see _merge)
_KEY_BITS = 63  # of a non-negative int64: an n-gram of ``order`` tokens gets 63 // order bits per token


class NgramCounts:
    """Document and term frequencies of the word n-grams of ``ngram_range`` in the documents added so far.

    Tokens are :func:`~classifier.model.tokens.word_tokens` of the lower-cased document, and
    n-grams are runs of consecutive tokens, as scikit-learn's default word analyzer makes them;
    with ``stemming``, the forms of one English stem are one token
    (:class:`~classifier.model.word_forms.WordForms`).
    """

    def __init__(
        self,
        ngram_range: tuple[int, int],
        max_candidates: int = defaults.MAX_NGRAM_CANDIDATES,
        stemming: bool = False,
    ) -> None:
        low, high = ngram_range
        if not 1 <= low <= high:
            raise ValueError(f"invalid n-gram range {ngram_range}")
        self.ngram_range = (low, high)
        self.max_candidates = max_candidates
        self.documents = 0
        self._forms = WordForms(stemming)
        self._bits = _KEY_BITS // high
        empty = np.zeros(0, dtype=np.int64)
        # Per order: sorted distinct keys, and for each the documents it is in and its occurrences.
        self._counts = {order: (empty, empty, empty) for order in range(low, high + 1)}
        self._pending: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}  # see _merge

    def add(self, documents: Sequence[str]) -> None:
        """Count the n-grams of ``documents`` (lower-cased here, as the vectorizer's analyzer does)."""
        for start in range(0, len(documents), _BATCH):
            self._add(documents[start : start + _BATCH])

    @property
    def stemming(self) -> bool:
        """Whether the forms of one English stem are counted as one token."""
        return self._forms.stemming

    def merged_forms(self) -> dict[str, str]:
        """Each word form counted as a token of another spelling → that spelling (none without stemming)."""
        return self._forms.merged()

    def _add(self, documents: Sequence[str]) -> None:
        form_numbers, lengths = self._forms.numbers, []
        numbers: list[int] = []
        for document in documents:
            forms = word_tokens(document.lower())
            lengths.append(len(forms))
            # setdefault gives a new form the next number: the length before it is added.
            numbers.extend([form_numbers.setdefault(form, len(form_numbers)) for form in forms])
        tokens = self._forms.tokens(np.array(numbers, dtype=np.int64))
        if self._forms.token_count > 1 << self._bits:
            raise ValueError(
                f"more than {1 << self._bits:,} distinct words: too many to count "
                f"{self.ngram_range[1]}-word n-grams"
            )
        self.documents += len(lengths)
        document_of = np.repeat(np.arange(len(lengths)), lengths)
        for order in self._counts:
            keys, documents_of_keys = self._keys(tokens, document_of, order)
            self._merge(order, keys, documents_of_keys)

    def _keys(self, tokens: np.ndarray, document_of: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
        """The key of every ``order``-token n-gram within one document, and that document."""
        starts = len(tokens) - order + 1
        if starts <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        keys = tokens[:starts].copy()
        for offset in range(1, order):
            keys = (keys << self._bits) | tokens[offset : starts + offset]
        within = np.flatnonzero(document_of[:starts] == document_of[order - 1 : starts + order - 1])
        return keys[within], document_of[within]

    def _merge(self, order: int, keys: np.ndarray, documents: np.ndarray) -> None:
        """Add one batch's n-grams (``keys``, each with its document) to the counts of ``order``.

        The batch's counts wait with others' until they are half as many as the counts so far:
        merging each batch into the counts would copy them once per batch, a cost that grows
        with the square of the corpus.
        """
        by_key = np.lexsort((documents, keys))
        keys, documents = keys[by_key], documents[by_key]
        new_key = np.ones(len(keys), dtype=bool)
        new_key[1:] = keys[1:] != keys[:-1]
        new_document = new_key.copy()
        new_document[1:] |= documents[1:] != documents[:-1]
        starts = np.flatnonzero(new_key)
        terms = np.diff(np.append(starts, len(keys)))
        documents = np.add.reduceat(new_document.astype(np.int64), starts) if len(starts) else starts
        pending = self._pending.setdefault(order, [])
        pending.append((keys[starts], documents, terms))
        if sum(len(batch[0]) for batch in pending) >= max(_PENDING_KEYS, len(self._counts[order][0]) // 2):
            self._flush(order)

    def _flush(self, order: int) -> None:
        """Merge the waiting batches' counts of ``order`` into its counts."""
        pending = self._pending.pop(order, [])
        if not pending:
            return
        keys, documents, terms = (np.concatenate(part) for part in zip(*pending, strict=True))
        del pending  # the batches' own arrays, let go before the merged ones are built
        batch_keys, copy_of = np.unique(keys, return_inverse=True)
        batch_documents, batch_terms = (
            np.bincount(copy_of, weights=counts).astype(np.int64) for counts in (documents, terms)
        )
        del keys, documents, terms
        known_keys, known_documents, known_terms = self._counts[order]
        at = np.searchsorted(known_keys, batch_keys)
        found = at < len(known_keys)
        found[found] = known_keys[at[found]] == batch_keys[found]
        known_documents[at[found]] += batch_documents[found]
        known_terms[at[found]] += batch_terms[found]
        fresh = np.flatnonzero(~found)
        # The new keys go in before the first greater known key: a merge of two sorted runs.
        counts = (
            np.insert(known_keys, at[fresh], batch_keys[fresh]),
            np.insert(known_documents, at[fresh], batch_documents[fresh]),
            np.insert(known_terms, at[fresh], batch_terms[fresh]),
        )
        if len(counts[0]) > self.max_candidates:
            seen_again = np.flatnonzero(counts[1] > 1)
            counts = tuple(array[seen_again] for array in counts)
        self._counts[order] = counts

    def vocabulary(
        self, min_df: float = 1, max_df: float = 1.0, max_features: int | None = None
    ) -> tuple[list[str], np.ndarray]:
        """The features, sorted, and the document frequency of each, by scikit-learn's rules.

        ``min_df`` and ``max_df`` are document counts when integers, shares of the documents when
        floats; ``max_features`` keeps the most frequent n-grams by occurrences (ties: the first
        in sorted order).
        """
        for order in self._counts:
            self._flush(order)
        high = max_df if isinstance(max_df, Integral) else max_df * self.documents
        low = min_df if isinstance(min_df, Integral) else min_df * self.documents
        if high < low:
            raise ValueError("max_df corresponds to < documents than min_df")
        if not any(len(keys) for keys, _, _ in self._counts.values()):
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        kept = {
            order: np.flatnonzero((documents >= low) & (documents <= high))
            for order, (_, documents, _) in self._counts.items()
        }
        if not any(len(rows) for rows in kept.values()):
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        spelling = self._forms.spelling()  # each token id's text
        if max_features is not None and sum(map(len, kept.values())) > max_features:
            kept = self._most_frequent(kept, max_features, spelling)
        terms: list[str] = []
        frequencies = []
        for order, rows in kept.items():
            keys, documents, _ = self._counts[order]
            terms += self._spelled(keys[rows], order, spelling)
            frequencies.append(documents[rows])
        by_name = sorted(range(len(terms)), key=terms.__getitem__)
        return [terms[position] for position in by_name], np.concatenate(frequencies)[by_name]

    def _most_frequent(
        self, kept: dict[int, np.ndarray], limit: int, spelling: np.ndarray
    ) -> dict[int, np.ndarray]:
        """Of the ``kept`` rows of each order's counts, the ``limit`` n-grams with the most occurrences;
        of those tied at the cut, the first by name. Only the tied ones are spelled out."""
        occurrences = np.concatenate([self._counts[order][2][rows] for order, rows in kept.items()])
        cut = np.partition(occurrences, len(occurrences) - limit)[len(occurrences) - limit]
        above = {order: rows[self._counts[order][2][rows] > cut] for order, rows in kept.items()}
        tied = {order: rows[self._counts[order][2][rows] == cut] for order, rows in kept.items()}
        names = [
            (name, order, row)
            for order, rows in tied.items()
            for name, row in zip(
                self._spelled(self._counts[order][0][rows], order, spelling), rows, strict=True
            )
        ]
        names.sort()
        chosen = names[: limit - sum(map(len, above.values()))]
        return {
            order: np.sort(
                np.concatenate([above[order], [row for _, o, row in chosen if o == order]]).astype(np.intp)
            )
            for order in kept
        }

    def _spelled(self, keys: np.ndarray, order: int, spelling: np.ndarray) -> list[str]:
        """The text of the n-grams of ``order`` tokens whose keys are ``keys``."""
        mask = (1 << self._bits) - 1
        words = [spelling[(keys >> (self._bits * (order - 1 - place))) & mask] for place in range(order)]
        if order == 1:
            return words[0].tolist()
        return [" ".join(ngram) for ngram in zip(*words, strict=True)]
