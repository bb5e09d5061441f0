"""The ordered in-flight loop every tagger is driven by, and the worker processes' preloaded modules."""

from __future__ import annotations

from concurrent.futures import Future
from importlib.util import find_spec

import pytest

from classifier.tagging import workers
from classifier.tagging.inflight import in_order


class _RecordingTagger:
    """Runs each piece at once, like the in-process tagger, and logs submits and results in turn."""

    def __init__(self, in_flight: int) -> None:
        self.in_flight = in_flight
        self.log: list[str] = []

    def submit(self, function, work):
        self.log.append(f"submit {work}")
        future: Future = Future()
        future.set_result(function(None, work))
        return future

    def result(self, pending):
        value = pending.result()
        self.log.append(f"result {value}")
        return value

    def close(self) -> None:
        pass


def _double(model, work: int) -> int:
    return 2 * work


@pytest.mark.parametrize("in_flight", [1, 2, 4])
def test_results_and_markers_come_back_in_input_order(in_flight):
    items = [(1, "a"), (2, "b"), (None, "end of file 1"), (3, "c"), (None, "end of file 2")]
    results = list(in_order(_RecordingTagger(in_flight), _double, items))
    assert results == [(2, "a"), (4, "b"), (None, "end of file 1"), (6, "c"), (None, "end of file 2")]


def test_at_most_in_flight_pieces_are_submitted_before_the_oldest_is_taken():
    tagger = _RecordingTagger(2)
    items = [(1, None), (None, "marker"), (2, None), (3, None)]
    taken = []
    for result, note in in_order(tagger, _double, items):
        tagger.log.append(f"taken {result} {note}")
        taken.append(result)
    assert tagger.log == [
        "submit 1",
        "submit 2",
        "result 2",
        "taken 2 None",
        "submit 3",
        "taken None marker",  # not in flight, so not waited for, but it keeps its place
        "result 4",
        "taken 4 None",
        "result 6",
        "taken 6 None",
    ]


def test_the_workers_forkserver_preloads_modules_that_exist():
    # The forkserver passes over a module it cannot import: a renamed one would only make every worker
    # import it (and scikit-learn) again, slowly, rather than fail.
    for name in workers._WORKER_IMPORTS:
        assert find_spec(name) is not None, name
