"""The one tokenizer: scikit-learn's default tokens, for one text and for a whole batch as bytes."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.model import tokens
from classifier.model.tokens import SEPARATOR, SEPARATOR_ID, UNKNOWN_ID, ByteTokenIds, word_tokens
from classifier.model.word_tfidf import FastWordTfidfVectorizer

# Any character up to the supplementary planes: letters of every script, marks, digits, emoji,
# unpaired surrogates, and the two separators the batches use.
TEXT = st.text(alphabet=st.characters(max_codepoint=0x2FFFF, exclude_categories=()), max_size=60)
# Long words of one- to four-byte characters, whose bytes cross the 8 and 16 a table packs.
LONG_WORDS = st.text(alphabet="abz9_é€\U0001d400 .\u2019\x00\x01", max_size=100)
PART = "\x01"
SEPARATORS = {SEPARATOR: SEPARATOR_ID, PART: -3}


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_word_tokens_are_scikit_learns_default_tokens(text):
    assert word_tokens(text) == TfidfVectorizer().build_tokenizer()(text)
    assert word_tokens(text.lower()) == re.findall(r"(?u)\b\w\w+\b", text.lower())


@given(st.one_of(TEXT, LONG_WORDS))
@settings(max_examples=500, deadline=None)
def test_batch_token_ids_are_the_word_tokens_of_each_part(text):
    tokens = word_tokens(text.lower())
    vocabulary = {token: number for number, token in enumerate(sorted(set(tokens))[::2])}  # half known
    expected = []
    for piece in re.split("([\x00\x01])", text.lower()):
        if piece in SEPARATORS:
            expected.append(SEPARATORS[piece])
        else:
            expected.extend(vocabulary.get(token, UNKNOWN_ID) for token in word_tokens(piece))
    ids = ByteTokenIds(vocabulary | SEPARATORS).ids(text, SEPARATOR + PART)
    assert ids.tolist() == expected


def test_lone_letters_and_separators_are_no_tokens():
    table = ByteTokenIds({"bank": 0, "rates": 1, "zürich": 2, SEPARATOR: SEPARATOR_ID})
    text = "a bank é rates\x00 x zürich ½ unknown"
    assert word_tokens(text) == ["bank", "rates", "zürich", "unknown"]
    assert table.ids(text).tolist() == [0, 1, SEPARATOR_ID, 2, UNKNOWN_ID]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("é bank", ["bank"]),  # at the start of the text
        ("bank é", ["bank"]),  # at its end
        ("bank\x00é\x00rates", ["bank", SEPARATOR_ID, SEPARATOR_ID, "rates"]),  # between separators
        ("bank\u2019é\u2019rates", ["bank", "rates"]),  # between non-ASCII punctuation
        ("bank é—ß rates", ["bank", "rates"]),  # lone letters on both sides of a non-word character
        ("a\u2019b bank", ["bank"]),  # lone ASCII letters next to non-ASCII punctuation
        ("éa bank aé", ["éa", "bank", "aé"]),  # two word characters are a token, known or not
        ("ωω Ω ω bank", ["ωω", "bank"]),
        ("bank 😀 rates \U0001d400 x", ["bank", "rates"]),  # astral characters, a non-word and a word one
    ],
)
def test_lone_non_ascii_word_characters_are_dropped_and_unknown_tokens_kept(text, expected):
    vocabulary = {"bank": 0, "rates": 1}
    table = ByteTokenIds(vocabulary | {SEPARATOR: SEPARATOR_ID})
    assert word_tokens(text.replace(SEPARATOR, " ")) == [token for token in expected if token != SEPARATOR_ID]
    ids = [token if token == SEPARATOR_ID else vocabulary.get(token, UNKNOWN_ID) for token in expected]
    assert table.ids(text).tolist() == ids


def test_batch_token_ids_are_those_of_the_lower_cased_text():
    text = SEPARATOR.join(["BANK Rates ΟΔΟΣ", "ΣΟΦΟΣ İstanbul" + PART + "Größe ΟΔΟΣ", "Bank"])
    vocabulary = dict(zip(sorted(set(word_tokens(text.lower()))), range(100), strict=False))
    table = ByteTokenIds(vocabulary | SEPARATORS)
    ids = [
        SEPARATORS.get(token, vocabulary.get(token))
        for token in re.findall(r"\w\w+|[\x00\x01]", text.lower())
    ]
    assert table.ids(text, SEPARATOR + PART).tolist() == ids
    assert "οδος" in vocabulary and "σοφος" in vocabulary  # final sigmas, row by row as in the whole text


WORDS = ["abcdefgh", "abcdefghi", "abcdefghijklmnop", "abcdefghijklmnopq", "abcdefghijklmnopqr", "égalitéλ"]


@pytest.mark.parametrize("collide", [False, True])
def test_tokens_that_differ_past_their_eighth_or_sixteenth_byte_keep_their_own_ids(collide, monkeypatch):
    if collide:  # every key is then a token's first 8 bytes, and the table packs no more than that
        monkeypatch.setattr(tokens, "_MIXER", np.uint64(0))
    table = ByteTokenIds({word: number for number, word in enumerate(WORDS)} | {SEPARATOR: SEPARATOR_ID})
    assert table._packed_bytes == (8 if collide else 16)
    text = " ".join([*WORDS, "abcdefg", "abcdefghij", "abcdefghijklmno", "abcdefghijklmnopqrs", "égalité"])
    assert table.ids(text + SEPARATOR).tolist() == [*range(len(WORDS)), *[UNKNOWN_ID] * 5, SEPARATOR_ID]


def test_the_vectorizer_fits_and_explains_with_word_tokens():
    vectorizer = FastWordTfidfVectorizer(ngram_range=(1, 2), min_df=1)
    assert vectorizer.build_tokenizer() is word_tokens
    text = "Café owners' ÉLECTION rules, in Zürich: a 3.5% rise"
    assert vectorizer.build_analyzer()(text) == TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()(text)


def test_another_token_pattern_gets_scikit_learns_tokenizer():
    vectorizer = FastWordTfidfVectorizer(token_pattern=r"\w+")
    assert vectorizer.build_tokenizer() is not word_tokens
    assert vectorizer.build_tokenizer()("a bc") == ["a", "bc"]
