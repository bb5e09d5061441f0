"""TF-IDF of word n-grams, transformed a whole batch at once with numpy.

:class:`FastWordTfidfVectorizer` is a ``TfidfVectorizer`` whose ``transform``
works on a whole batch with numpy instead of counting n-grams one by one in
Python: the same matrix about three times faster, which is what lets the default
model tag tens of thousands of headlines a second. Its vocabulary is counted batch
by batch (:class:`~classifier.model.vocabulary.NgramCounts`).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import ClassVar

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

from classifier.model.ngramindex import NgramIndex
from classifier.model.tokens import SEPARATOR, SEPARATOR_ID, ByteTokenIds, word_tokens
from classifier.model.vocabulary import NgramCounts

__all__ = ["FastWordTfidfVectorizer"]

_MAX_ORDER = 3
_DEFAULT_TOKEN_PATTERN = TfidfVectorizer().token_pattern  # whose tokens word_tokens gives
# What transform() hard-codes: the default word analyzer, raw counts, idf weights.
_FIXED_PARAMETERS = (
    *("input", "analyzer", "tokenizer", "preprocessor", "token_pattern", "lowercase", "strip_accents"),
    *("stop_words", "vocabulary", "binary", "use_idf"),
)


# What a fitted vectorizer builds from its vocabulary on first use, and neither saves nor keeps on a refit.
_DERIVED = ("_byte_ids", "_ngram_indexes")
# Documents transformed at once: bounds the temporary arrays, and costs nothing at this size.
_TRANSFORM_BATCH = 100_000


def _idf(documents: int, frequencies: np.ndarray, smooth: bool, dtype) -> np.ndarray:
    """``TfidfTransformer``'s idf, computed in the same steps and type, so the same to the last bit."""
    dtype = dtype if dtype in (np.float32, np.float64) else np.float64
    frequencies = frequencies.astype(dtype) + float(smooth)
    idf = np.full_like(frequencies, fill_value=documents + int(smooth), dtype=dtype)
    idf /= frequencies
    np.log(idf, out=idf)
    idf += 1.0
    return idf


class FastWordTfidfVectorizer(TfidfVectorizer):
    """A word n-gram ``TfidfVectorizer`` whose ``transform`` is vectorised over the batch.

    ``fit`` is the parent's, so vocabulary and idf are scikit-learn's own; it
    also indexes the vocabulary as integer keys. ``transform`` then tokenizes
    the whole batch at once (:mod:`~classifier.model.tokens`), maps tokens to integers,
    finds each n-gram's column in a hash table of the keys (:class:`NgramIndex`), and builds the
    sparse matrix at once: the same matrix as ``TfidfVectorizer.transform``
    (to float rounding), without a Python step per n-gram.

    Only the default word analyzer (lower-casing, default token pattern, no
    stop words, no preprocessor) and n-grams up to three words are supported:
    ``fit`` refuses other parameters. Its own parameter, ``stemming``, counts the
    forms of one English stem as one token (:mod:`~classifier.model.word_forms`),
    spelled as the form the training documents use most; a form they never use is
    an unknown word, as any unseen word is, so ``transform`` stays numpy alone.

    Otherwise it is a ``TfidfVectorizer``: documents may be ``str`` or ``bytes``
    (decoded with ``encoding`` and ``decode_error``), a single string is refused,
    and parameters set after ``fit`` act as they do on the parent. The ones of
    the analyzer (``ngram_range``, ``lowercase``, ...) apply at once: the fitted
    tables are no longer for them, so ``transform`` is the parent's until the
    next ``fit``; the tf-idf ones (``norm``, ``sublinear_tf``, ``smooth_idf``)
    and ``min_df``, ``max_df``, ``max_features`` wait for the next ``fit``.

    Attributes
    ----------
    token_ids_
        Token → integer, for every token of some vocabulary n-gram (and the
        document separator → -2); with ``stemming``, every form of it the
        training documents use too.
    merged_forms_
        With ``stemming``: each form of a vocabulary token spelled otherwise → that spelling.
    unigram_columns_
        Column of each token's unigram (-1 when the unigram is not a feature).
    ngram_keys_, ngram_columns_
        Per n-gram order above one, the sorted integer keys of the vocabulary's
        n-grams (token ids as digits in base ``len(unigram_columns_)``) and their columns.
        The hash tables built from them on first use are not saved with the model.
    """

    # The parameters the fitted tables are built for (transform() applies them itself), read in one call.
    _analysis_of = operator.attrgetter(*_FIXED_PARAMETERS, "ngram_range", "stemming")
    _parameter_constraints: ClassVar[dict] = {
        **TfidfVectorizer._parameter_constraints,
        "stemming": ["boolean"],
    }
    stemming = False  # what the model files of earlier releases, saved without it, were fitted with

    def __init__(
        self,
        *,
        input="content",
        encoding="utf-8",
        decode_error="strict",
        strip_accents=None,
        lowercase=True,
        preprocessor=None,
        tokenizer=None,
        analyzer="word",
        stop_words=None,
        token_pattern=_DEFAULT_TOKEN_PATTERN,
        ngram_range=(1, 1),
        max_df=1.0,
        min_df=1,
        max_features=None,
        vocabulary=None,
        binary=False,
        dtype=np.float64,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=False,
        stemming=False,
    ):
        super().__init__(
            input=input,
            encoding=encoding,
            decode_error=decode_error,
            strip_accents=strip_accents,
            lowercase=lowercase,
            preprocessor=preprocessor,
            tokenizer=tokenizer,
            analyzer=analyzer,
            stop_words=stop_words,
            token_pattern=token_pattern,
            ngram_range=ngram_range,
            max_df=max_df,
            min_df=min_df,
            max_features=max_features,
            vocabulary=vocabulary,
            binary=binary,
            dtype=dtype,
            norm=norm,
            use_idf=use_idf,
            smooth_idf=smooth_idf,
            sublinear_tf=sublinear_tf,
        )
        self.stemming = stemming

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: the parent's may be the instance's own dict
        for name in _DERIVED:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        if "stemming" not in state and "_analysis_at_fit" in state:
            # Saved before stemming existed: its tables were fitted without it, which the
            # fast transform must see to take them.
            state = {**state, "_analysis_at_fit": (*state["_analysis_at_fit"], False)}
        super().__setstate__(state)

    def fit(self, raw_documents: Iterable[str | bytes], y=None):
        """Learn vocabulary and idf as ``TfidfVectorizer`` does, counting n-grams batch by batch."""
        return self.fit_counts(self._counted(raw_documents))

    def fit_transform(self, raw_documents: Iterable[str | bytes], y=None):
        """Learn vocabulary and idf, and return the training rows' tf-idf matrix."""
        documents = self._documents(raw_documents)
        return self.fit_counts(self._counted(documents)).transform(documents)

    def fit_counts(self, counts: NgramCounts):
        """Take the vocabulary and idf from n-gram ``counts`` of the training documents.

        ``counts`` may have been added batch by batch as the documents were read, so that a
        corpus too big to hold is fitted the same as one in memory.
        """
        self._validate_params()
        self._check_supported()
        if counts.ngram_range != tuple(self.ngram_range):
            raise ValueError(f"counts of {counts.ngram_range}-grams cannot fit {self.ngram_range}-grams")
        if counts.stemming != self.stemming:
            raise ValueError(f"counts with stemming={counts.stemming} cannot fit stemming={self.stemming}")
        self._check_params()
        self._warn_for_unused_params()
        self._validate_vocabulary()
        terms, frequencies = counts.vocabulary(self.min_df, self.max_df, self.max_features)
        self.vocabulary_ = dict(zip(terms, range(len(terms)), strict=True))
        self._tfidf = TfidfTransformer(
            norm=self.norm, use_idf=self.use_idf, smooth_idf=self.smooth_idf, sublinear_tf=self.sublinear_tf
        )
        self.idf_ = _idf(counts.documents, frequencies, self.smooth_idf, self.dtype)
        self._index_vocabulary(counts.merged_forms())
        return self

    def _documents(self, raw_documents: Iterable[str | bytes]) -> list[str]:
        """The documents as text (``bytes`` decoded as the parent does), in a list that can be read twice."""
        if isinstance(raw_documents, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        return [
            document if isinstance(document, str) else self.decode(document) for document in raw_documents
        ]

    def _counted(self, raw_documents: Iterable[str | bytes]) -> NgramCounts:
        self._validate_params()
        self._check_supported()
        counts = NgramCounts(tuple(self.ngram_range), stemming=self.stemming)
        counts.add(self._documents(raw_documents))
        return counts

    def _check_supported(self) -> None:
        defaults = TfidfVectorizer()
        unsupported = [name for name in _FIXED_PARAMETERS if getattr(self, name) != getattr(defaults, name)]
        if unsupported:
            raise ValueError(f"FastWordTfidfVectorizer needs the default {', '.join(unsupported)}")
        if self.ngram_range[1] > _MAX_ORDER:
            raise ValueError(f"word n-grams can be at most {_MAX_ORDER} words long")

    def build_tokenizer(self):
        """:func:`~classifier.model.tokens.word_tokens` for the default token pattern, else the parent's;
        with ``stemming``, each form fitted as a token spelled otherwise is given as that spelling."""
        if self.tokenizer is not None or self.token_pattern != _DEFAULT_TOKEN_PATTERN:
            return super().build_tokenizer()
        if not self.merged_forms:
            return word_tokens
        return lambda text: self.respelled(word_tokens(text))

    @property
    def merged_forms(self) -> dict[str, str]:
        """Each form the fitted tables count as a token spelled otherwise → that spelling (none unless
        fitted with ``stemming``)."""
        return self.__dict__.get("merged_forms_", {}) if self.stemming else {}

    def respelled(self, tokens: list[str]) -> list[str]:
        """``tokens`` as the fitted tables spell them: each merged form as its token's spelling."""
        spelling = self.merged_forms
        return [spelling.get(token, token) for token in tokens] if spelling else tokens

    def _index_vocabulary(self, merged_forms: dict[str, str]) -> None:
        for name in _DERIVED:  # a refit's vocabulary needs its own tables
            self.__dict__.pop(name, None)
        self._analysis_at_fit = self._analysis_of(self)
        ngrams = [(feature.split(" "), column) for feature, column in self.vocabulary_.items()]
        tokens = sorted({token for words, _ in ngrams for token in words})
        ids = {token: number for number, token in enumerate(tokens)}
        base = max(len(tokens), 1)
        keys: dict[int, list[int]] = {}
        columns: dict[int, list[int]] = {}
        for words, column in ngrams:
            key = 0
            for word in words:
                key = key * base + ids[word]
            keys.setdefault(len(words), []).append(key)
            columns.setdefault(len(words), []).append(column)
        self.merged_forms_ = {form: spelled for form, spelled in merged_forms.items() if spelled in ids}
        forms = {form: ids[spelled] for form, spelled in self.merged_forms_.items()}
        self.token_ids_ = ids | forms | {SEPARATOR: SEPARATOR_ID}
        self.unigram_columns_ = np.full(base, -1, dtype=np.int64)
        self.unigram_columns_[keys.get(1, [])] = columns.get(1, [])
        self.ngram_keys_, self.ngram_columns_ = {}, {}
        for order in sorted(set(keys) - {1}):
            order_keys = np.array(keys[order], dtype=np.int64)
            sort = np.argsort(order_keys)
            self.ngram_keys_[order] = order_keys[sort]
            self.ngram_columns_[order] = np.array(columns[order], dtype=np.int64)[sort]

    def ngram_occurrences(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of every vocabulary n-gram in a batch of token ids.

        ``ids`` are the batch's tokens mapped through :attr:`token_ids_` (-1 for
        an unknown token, which no n-gram spans), documents separated by the
        separator's id; a row is the number of separators before the n-gram.
        """
        row_of = np.cumsum(ids == SEPARATOR_ID)
        rows, columns = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        # take and flatnonzero rather than boolean masks, which copy more slowly.
        if self.ngram_range[0] == 1:
            known = np.flatnonzero(ids >= 0)
            found = self.unigram_columns_.take(ids.take(known))
            hit = np.flatnonzero(found >= 0)
            rows.append(row_of.take(known.take(hit)))
            columns.append(found.take(hit))
        for order in self.ngram_keys_:
            starts = len(ids) - order + 1
            if starts <= 0:
                continue
            key, valid = ids[:starts].copy(), ids[:starts] >= 0
            for offset in range(1, order):
                following = ids[offset : starts + offset]
                valid &= following >= 0
                key = key * len(self.unigram_columns_) + following
            where = np.flatnonzero(valid)
            found = self._ngram_index(order).columns_of(key.take(where))
            hit = np.flatnonzero(found >= 0)
            rows.append(row_of.take(where.take(hit)))
            columns.append(found.take(hit))
        return np.concatenate(rows), np.concatenate(columns)

    def _byte_token_ids(self) -> ByteTokenIds:
        """:attr:`token_ids_` as a byte table, built on first use."""
        table = self.__dict__.get("_byte_ids")
        if table is None:
            table = self.__dict__["_byte_ids"] = ByteTokenIds(self.token_ids_)
        return table

    def _ngram_index(self, order: int) -> NgramIndex:
        """The hash table of the ``order``-word n-grams, built on first use."""
        indexes = self.__dict__.setdefault("_ngram_indexes", {})
        index = indexes.get(order)
        if index is None:
            index = indexes[order] = NgramIndex(self.ngram_keys_[order], self.ngram_columns_[order])
        return index

    def transform(self, raw_documents: Iterable[str | bytes]) -> sparse.csr_matrix:
        """The tf-idf matrix of ``raw_documents`` (equal to ``TfidfVectorizer.transform``'s)."""
        if isinstance(raw_documents, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        if self._analysis_of(self) != self.__dict__.get("_analysis_at_fit"):
            # Not fitted (the parent raises NotFittedError), or analyzer parameters set since fit,
            # which the parent applies to the fitted vocabulary.
            return super().transform(raw_documents)
        if not isinstance(raw_documents, (list, tuple, np.ndarray)):
            raw_documents = list(raw_documents)  # read twice if a document needs decoding
        try:
            documents = [document.replace(SEPARATOR, " ") for document in raw_documents]
        except (AttributeError, TypeError):  # bytes, decoded as the parent does; anything else fails there
            documents = [self.decode(document).replace(SEPARATOR, " ") for document in raw_documents]
        if not documents:
            return sparse.csr_matrix((0, len(self.vocabulary_)), dtype=self.dtype)
        # In batches: the temporary arrays of one batch are several times its matrix.
        batches = range(0, len(documents), _TRANSFORM_BATCH)
        if len(batches) == 1:
            return self._transform_batch(documents)
        return sparse.vstack(
            [self._transform_batch(documents[start : start + _TRANSFORM_BATCH]) for start in batches],
            format="csr",
        )

    def _transform_batch(self, documents: list[str]) -> sparse.csr_matrix:
        """The tf-idf matrix of ``documents``, text without the separator."""
        ids = self._byte_token_ids().ids(SEPARATOR.join(documents))
        shape = (len(documents), len(self.vocabulary_))
        row_array, column_array = self.ngram_occurrences(ids)
        counts = sparse.csr_matrix((np.ones(len(row_array)), (row_array, column_array)), shape=shape)
        counts.sum_duplicates()
        weighting = self._tfidf  # the tf-idf parameters of the last fit, as the parent uses them
        if weighting.sublinear_tf:
            np.log(counts.data, out=counts.data)
            counts.data += 1.0
        counts.data *= self.idf_[counts.indices]
        matrix = normalize(counts, norm=weighting.norm, copy=False) if weighting.norm else counts
        return matrix.astype(self.dtype, copy=False)
