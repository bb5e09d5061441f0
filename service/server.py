"""``headline-tagger serve``: the app under gunicorn, with the model preloaded and reloadable.

The app (and so the model) is built once in the gunicorn master and the
workers are forked from it, sharing its memory. Signals:

* SIGTERM: graceful stop (requests in flight finish), exit status 0.
* SIGHUP: the master loads ``models/current`` again, then replaces the workers
  with fresh forks. A model that fails to load is refused and logged, and the
  new workers keep the old one.
* ``POST /v1/admin/reload`` reloads in the worker that answers it, then sends
  the master a SIGHUP so that every worker moves to the new model.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from flask import Flask
from gunicorn.app.base import BaseApplication
from prometheus_client import values

from classifier.errors import ModelError
from service.app import create_app
from service.config import settings
from service.feedback import STORE
from service.holder import ModelHolder
from service.sampling import SAMPLER

__all__ = ["run", "serve"]

log = logging.getLogger("service.server")


class _Gunicorn(BaseApplication):
    """gunicorn serving one prebuilt WSGI app with the given settings."""

    def __init__(self, app: Flask, options: Mapping[str, object]) -> None:
        self._app, self._options = app, dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def run(app: Flask, *, host: str, port: int, workers: int) -> None:
    """Serve ``app`` under gunicorn on ``host:port`` until SIGTERM or SIGINT."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        # One request at a time per worker process: prediction is CPU-bound, and threads in a
        # worker only contend for the GIL (bench/service.py measured 1.5x the CPU per batch).
        "worker_class": "sync",
        "timeout": 30,
        "graceful_timeout": 20,
        "accesslog": None,  # the app logs every request itself, as JSON (service.telemetry)
        "errorlog": "-",
        "proc_name": "headline-tagger",
        # No runtime-management socket: one more way in, and shared by every server of the user.
        "control_socket_disable": True,
    }
    # The model is built in the master and shared with the workers copy-on-write; gc.freeze before each
    # fork keeps the workers' garbage collector (and their exit) from touching, and so copying, its pages.
    options["pre_fork"] = lambda arbiter, worker: gc.freeze()
    holder = app.extensions.get("headline_tagger")
    if holder is not None:
        options["on_reload"] = lambda arbiter: _reload_in_master(holder)
        options["post_fork"] = lambda arbiter, worker: _pass_reloads_to_master(holder, arbiter.pid)
    store, sampler = app.extensions.get(STORE), app.extensions.get(SAMPLER)
    if store is not None:
        # A worker that stops (SIGTERM, a reload replacing it) keeps the request samples it still holds
        # and ends its database session cleanly.
        options["worker_exit"] = lambda arbiter, worker: _on_exit(sampler, store)
    _Gunicorn(app, options).run()


def _on_exit(sampler, store) -> None:
    if sampler is not None:
        sampler.flush()
    store.close()


def _reload_in_master(holder) -> None:
    kept = holder.current.manifest.model_id if holder.current else None
    try:
        loaded = holder.reload()
    except ModelError as error:
        log.error("reload refused, still serving %s: %s", kept, error)
    else:
        log.info("reloaded: now serving %s (was %s)", loaded.manifest.model_id, kept)
        # Frozen objects are never collected: let the old model's go before the next fork freezes again.
        gc.unfreeze()
        gc.collect()


def _pass_reloads_to_master(holder, master_pid: int) -> None:
    holder.after_reload = lambda: os.kill(master_pid, signal.SIGHUP)


@contextmanager
def _metrics_dir() -> Iterator[None]:
    """A fresh PROMETHEUS_MULTIPROC_DIR for this run (unless one is set), removed at exit."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    path, owner = tempfile.mkdtemp(prefix="headline-tagger-metrics-"), os.getpid()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    # prometheus_client chose its storage when first imported, before this variable was set;
    # choosing again now makes the metrics the app creates next write to files in ``path``.
    values.ValueClass = values.get_value_class()
    try:
        yield
    finally:
        # Forked workers leave through this block too (gunicorn ends them with sys.exit);
        # only the master, which made the folder, removes it.
        if os.getpid() == owner:
            shutil.rmtree(path, ignore_errors=True)


def _configure_logging() -> None:
    """Request lines (JSON) to stdout; the service's own messages to stderr, like gunicorn's.

    Every record skips what no line here shows and each costs to look up (the logging HOWTO's
    "Optimization"): the calling source line, the thread, the multiprocessing process name. With
    one record per request, that saves about 20 µs of the 0.3 ms a one-headline request takes
    in-process.
    """
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    requests = logging.getLogger("service.requests")
    requests.addHandler(logging.StreamHandler(sys.stdout))
    requests.propagate = False
    messages = logging.StreamHandler(sys.stderr)
    messages.setFormatter(
        logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s", "%Y-%m-%d %H:%M:%S %z")
    )
    service = logging.getLogger("service")
    service.addHandler(messages)
    service.setLevel(logging.INFO)


def serve(config: Mapping[str, object], *, host: str, port: int, workers: int) -> None:
    """Build the app from ``config`` and serve it; fail before binding when the model does not load.

    Raises
    ------
    ModelError
        The model does not load (missing, broken, or outside the models directory).
    """
    with _metrics_dir():
        loaded = ModelHolder.from_settings(settings(config)).reload()  # a ModelError stops us here
        _configure_logging()
        app = create_app(config, loaded=loaded)
        run(app, host=host, port=port, workers=workers)
