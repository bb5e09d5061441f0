"""Soak the HTTP service: a fixed request rate for a bounded time, with model reloads, on 127.0.0.1.

    .venv/bin/python bench/soak.py [--seconds 300] [--rate 300] [--window 30] [--reload-every 30]

Trains the starter model into a temporary folder, copies it under a second id
and starts ``headline-tagger serve`` (two workers, an admin token) on
127.0.0.1. An open-loop generator (aiohttp) then starts requests on a fixed
schedule, whether or not earlier ones have been answered, so a slow server
shows as latency instead of as a lower rate; latency is measured from each
request's scheduled start. Of every 20 requests, 16 tag one headline, one tags
a batch of 100, one stores a correction (``POST /v1/feedback``: both workers
write to the corrections store at once) and two are bad (malformed JSON, wrong
content type, a missing headline, an over-long field, a bad option) and must
get their 4xx. Every
``--reload-every`` seconds ``models/current`` is pointed at the other model and
``POST /v1/admin/reload`` swaps it in; every answer must name one of the two.

Reports requests sent, responses by status, unexpected outcomes by kind,
latency percentiles per time window, and the memory (RSS, PSS) of the master
and its workers at the start and the end. At the end it reads the corrections
store and checks that it holds exactly the corrections the service
acknowledged, no more and no fewer: an SQLite file by default, or with
``--postgres`` a database on a throwaway PostgreSQL server (Debian's, started
as the tests start it). Prints a table, writes
``bench/results/soak.json`` and the table as ``bench/results/soak.txt``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import numpy as np
from live import rollup, starter_rows, train_starter, workers_of

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "soak.json"
HOST = "127.0.0.1"
# Of every 20 requests: index 0 a batch of 100, 7 and 14 bad, 10 a correction, the rest one headline.
PATTERN = [
    "batch" if n == 0 else "bad" if n in (7, 14) else "feedback" if n == 10 else "single" for n in range(20)
]
PATHS = {"feedback": "/v1/feedback"}  # every other kind goes to /v1/tag


@dataclass
class Outcome:
    """One request: when it was due (seconds from the start), what it was, what came back."""

    due: float
    kind: str
    status: int | None
    latency_ms: float
    lag_ms: float  # how late the generator started it
    unexpected: str | None  # None when the answer was the expected one
    stored: tuple[int, ...] = ()  # the ids a correction's 201 acknowledged


def bodies() -> dict[str, list[tuple[bytes, str, int]]]:
    """(body, content type, expected status) for each kind, from the starter corpus."""
    rows = starter_rows()
    json_type = "application/json"
    single = [
        (json.dumps({"headline": r["headline"], "teaser": r["teaser"]}).encode(), json_type, 200)
        for r in rows
    ]
    items = [{"id": n, "headline": r["headline"], "teaser": r["teaser"]} for n, r in enumerate(rows)]
    batch = [
        (json.dumps({"items": items[n : n + 100]}).encode(), json_type, 200)
        for n in range(0, len(items) - 99, 37)
    ]
    bad = [
        (b'{"headline": "Parliament passes budget",', json_type, 400),
        (b'{"headline": "Parliament passes budget"}', "text/plain", 415),
        (b'{"teaser": "A teaser without its headline."}', json_type, 422),
        (json.dumps({"headline": "x" * 2001}).encode(), json_type, 413),
        (b'{"headline": "Parliament passes budget", "top_k": 0}', json_type, 422),
    ]
    feedback = [
        (
            json.dumps({"headline": r["headline"], "teaser": r["teaser"], "labels": r["labels"]}).encode(),
            json_type,
            201,
        )
        for r in rows
    ]
    return {"single": single, "batch": batch, "bad": bad, "feedback": feedback}


def prepare_models(folder: Path) -> tuple[Path, list[str]]:
    """The starter model, and a copy of it under another id: two models to alternate between."""
    from classifier.persistence import read_manifest

    models = folder / "models"
    train_starter(models)
    first = (models / "current").resolve()
    model_id = read_manifest(first).model_id
    second = models / f"{model_id}-b"
    shutil.copytree(first, second)
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    manifest["model_id"] = second.name
    (second / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return models, [model_id, second.name]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def memory(master: int) -> dict:
    """RSS and PSS in MiB of the master and of its workers (summed), from /proc/PID/smaps_rollup."""
    workers = [rollup(pid) for pid in workers_of(master)]
    return {
        "master": {key: round(value, 1) for key, value in rollup(master).items()},
        "workers": {key: round(sum(w[key] for w in workers), 1) for key in ("rss", "pss")},
        "worker_count": len(workers),
    }


async def one(session, url: str, kind: str, body: tuple[bytes, str, int], due: float, start: float, models):
    """Send one request at its due time; return its :class:`Outcome`."""
    loop = asyncio.get_running_loop()
    lag = (loop.time() - start - due) * 1000
    data, content_type, expected = body
    status, unexpected, stored = None, None, ()
    try:
        async with session.post(url, data=data, headers={"Content-Type": content_type}) as response:
            status = response.status
            answer = await response.read()
        if status != expected:
            unexpected = f"{kind}: HTTP {status}" + (" (server error)" if status >= 500 else "")
        elif status in (200, 201):
            parsed = json.loads(answer)
            stored = tuple(parsed.get("ids", ()))
            if parsed.get("model") not in models:
                unexpected = f"{kind}: unknown model {parsed.get('model')!r}"
            elif kind == "batch" and len(parsed["results"]) != 100:
                unexpected = "batch: not 100 results"
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        unexpected = f"{kind}: {type(error).__name__}"
    latency = (loop.time() - start - due) * 1000
    return Outcome(due, kind, status, latency, lag, unexpected, stored)


async def reloads(
    session, base: str, token: str, models_dir: Path, ids: list[str], every: float, stop: float
):
    """Every ``every`` seconds point ``current`` at the other model and reload; one Outcome each."""
    from classifier.persistence import promote

    loop = asyncio.get_running_loop()
    start, outcomes, number = loop.time(), [], 0
    while (due := (number + 1) * every) < stop:
        await asyncio.sleep(max(0.0, start + due - loop.time()))
        target = ids[(number + 1) % 2]
        promote(models_dir / target, models_dir / "current")
        began, status, unexpected = loop.time(), None, None
        try:
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(base + "/v1/admin/reload", headers=headers) as response:
                status, answer = response.status, await response.json(content_type=None)
            if status != 200 or answer.get("model") != target:
                unexpected = f"reload: HTTP {status} {answer.get('detail', '')}".strip()
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            unexpected = f"reload: {type(error).__name__}"
        outcomes.append(Outcome(due, "reload", status, (loop.time() - began) * 1000, 0.0, unexpected))
        number += 1
    return outcomes


async def drive(base: str, args, token: str, models_dir: Path, ids: list[str], master: int):
    """The whole run: the request schedule, the reloads, and memory read once per window."""
    catalogue = bodies()
    connector = aiohttp.TCPConnector(limit=args.max_in_flight, force_close=True)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        loop = asyncio.get_running_loop()
        start = loop.time()
        reloader = asyncio.create_task(
            reloads(session, base, token, models_dir, ids, args.reload_every, args.seconds)
        )
        pending, counters = set(), Counter()
        # Memory at the start, after the warm-up (fresh workers grow as their first requests touch the
        # pages they share with the master), and at the start of every window.
        snapshots = {"cold": memory(master), "windows": [memory(master)]}
        for number in range(int(args.seconds * args.rate)):
            due = number / args.rate
            if due >= len(snapshots["windows"]) * args.window:
                snapshots["windows"].append(memory(master))
            if "warm" not in snapshots and due >= args.warmup:
                snapshots["warm"] = memory(master)
            await asyncio.sleep(max(0.0, start + due - loop.time()))
            kind = PATTERN[number % len(PATTERN)]
            body = catalogue[kind][counters[kind] % len(catalogue[kind])]
            counters[kind] += 1
            url = base + PATHS.get(kind, "/v1/tag")
            pending.add(asyncio.create_task(one(session, url, kind, body, due, start, ids)))
        outcomes = list(await asyncio.gather(*pending))
        outcomes += await reloader
    snapshots.setdefault("warm", snapshots["cold"])
    return sorted(outcomes, key=lambda o: o.due), snapshots


def percentiles(values: list[float]) -> list[float | None]:
    if not values:
        return [None, None, None]
    return [round(float(v), 2) for v in np.percentile(values, [50, 95, 99])]


def summarise(outcomes: list[Outcome], memory_by_window: list[dict], args) -> dict:
    """Counts, unexpected outcomes by kind and latency percentiles, overall and per window."""
    requests = [o for o in outcomes if o.kind != "reload"]
    windows = []
    for index in range(int(np.ceil(args.seconds / args.window))):
        low, high = index * args.window, min((index + 1) * args.window, args.seconds)
        inside = [o for o in requests if low <= o.due < high]
        single = [o.latency_ms for o in inside if o.kind == "single" and not o.unexpected]
        batch = [o.latency_ms for o in inside if o.kind == "batch" and not o.unexpected]
        windows.append(
            {
                "from_s": low,
                "to_s": high,
                "sent": len(inside),
                "rate_per_s": round(len(inside) / (high - low), 1),
                "unexpected": sum(1 for o in inside if o.unexpected),
                "single_p50_p95_p99_ms": percentiles(single),
                "batch_p50_p95_p99_ms": percentiles(batch),
                "generator_lag_p99_ms": percentiles([o.lag_ms for o in inside])[2],
                "workers_pss_mib": memory_by_window[index]["workers"]["pss"]
                if index < len(memory_by_window)
                else None,
            }
        )
    return {
        "requests_sent": len(requests),
        "by_kind": dict(Counter(o.kind for o in requests)),
        "responses_by_status": {
            str(k): v for k, v in sorted(Counter(o.status for o in requests).items(), key=str)
        },
        "unexpected_by_kind": dict(Counter(o.unexpected for o in outcomes if o.unexpected)),
        "reloads": {
            "count": sum(1 for o in outcomes if o.kind == "reload"),
            "failed": sum(1 for o in outcomes if o.kind == "reload" and o.unexpected),
            "latency_ms_max": max(
                (round(o.latency_ms, 1) for o in outcomes if o.kind == "reload"), default=None
            ),
        },
        "latency_ms_single_overall": percentiles([o.latency_ms for o in requests if o.kind == "single"]),
        "latency_ms_batch_overall": percentiles([o.latency_ms for o in requests if o.kind == "batch"]),
        "windows": windows,
    }


def growth(start: float, end: float) -> float:
    return round((end - start) * 100 / start, 1)


def table(result: dict) -> str:
    s, m = result["summary"], result["memory"]
    lines = [
        f"soak: {result['settings']['seconds']} s at {result['settings']['rate']} req/s, "
        f"{result['settings']['workers']} workers, reload every {result['settings']['reload_every']} s, "
        f"corrections in {result['settings']['corrections_store']} "
        f"(load average at start {result['machine']['load_average_at_start']})",
        f"requests sent {s['requests_sent']:,} ({', '.join(f'{k} {v:,}' for k, v in s['by_kind'].items())}); "
        f"responses by status: {', '.join(f'{k}: {v:,}' for k, v in s['responses_by_status'].items())}",
        f"reloads {s['reloads']['count']} ({s['reloads']['failed']} failed, slowest "
        f"{s['reloads']['latency_ms_max']} ms); unexpected: "
        + (", ".join(f"{k} x{v}" for k, v in s["unexpected_by_kind"].items()) or "none"),
        "",
        "{:>9} {:>6} {:>7} {:>5} {:>24} {:>24} {:>8} {:>9}".format(
            "window s",
            "sent",
            "req/s",
            "unexp",
            "1 headline p50/95/99 ms",
            "100 headlines p50/95/99",
            "lag p99",
            "PSS MiB",
        ),
    ]
    for w in s["windows"]:
        single = "/".join(f"{v:.1f}" if v is not None else "-" for v in w["single_p50_p95_p99_ms"])
        batch = "/".join(f"{v:.1f}" if v is not None else "-" for v in w["batch_p50_p95_p99_ms"])
        lines.append(
            f"{w['from_s']:>4}-{w['to_s']:<4} {w['sent']:>6,} {w['rate_per_s']:>7.1f} {w['unexpected']:>5} "
            f"{single:>24} {batch:>24} {w['generator_lag_p99_ms'] or 0:>8.1f} "
            f"{w['workers_pss_mib'] if w['workers_pss_mib'] is not None else '-':>9}"
        )
    start, end, pct = m["start"], m["end"], m["growth_pct"]
    lines += [
        "",
        f"memory after the {result['settings']['warmup']:g} s warm-up -> at the end "
        f"(cold workers at the start: PSS {m['cold']['workers']['pss']} MiB)",
        f"  workers (sum of {start['worker_count']}): RSS {start['workers']['rss']} -> "
        f"{end['workers']['rss']} MiB ({pct['workers_rss']:+}%), "
        f"PSS {start['workers']['pss']} -> {end['workers']['pss']} MiB ({pct['workers_pss']:+}%)",
        f"  master: RSS {start['master']['rss']} -> {end['master']['rss']} MiB ({pct['master_rss']:+}%)",
    ]
    lines += [f"{'met' if t['met'] else 'MISSED':<7} {t['target']}: {t['value']}" for t in result["targets"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300, help="how long to drive the service")
    parser.add_argument("--rate", type=float, default=300, help="requests started per second")
    parser.add_argument("--window", type=float, default=30, help="seconds per row of the table")
    parser.add_argument("--reload-every", type=float, default=30, help="seconds between admin reloads")
    parser.add_argument("--warmup", type=float, default=10, help="seconds before the memory baseline")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-in-flight", type=int, default=256, help="connections open at once, at most")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON to write (and the table beside it)")
    parser.add_argument(
        "--postgres", action="store_true", help="store corrections on a throwaway PostgreSQL server"
    )
    args = parser.parse_args()
    token, port = secrets.token_urlsafe(24), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADLINE_TAGGER_")}
    env["HEADLINE_TAGGER_ADMIN_TOKEN"] = token
    with (
        tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp,
        corrections_store(Path(tmp), args) as store,
    ):
        folder = Path(tmp)
        env["HEADLINE_TAGGER_FEEDBACK_DB"] = store
        models_dir, ids = prepare_models(folder)
        cli = str(Path(sys.executable).parent / "headline-tagger")
        command = [
            cli,
            "serve",
            "--models-dir",
            str(models_dir),
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ]
        log = folder / "server.log"
        with open(log, "wb") as err:
            server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        try:
            wait_ready(port, server, args.workers)
            load = os.getloadavg()[0]
            outcomes, snapshots = asyncio.run(
                drive(f"http://{HOST}:{port}", args, token, models_dir, ids, server.pid)
            )
            end_memory = memory(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        server_log = log.read_text(encoding="utf-8", errors="replace")
        stored = stored_ids(store)
    report(args, load, outcomes, snapshots, end_memory, server_log, stored)


@contextmanager
def corrections_store(folder: Path, args) -> Iterator[str]:
    """Where the service stores corrections: an SQLite file in ``folder``, or a PostgreSQL database."""
    if not args.postgres:
        yield str(folder / "feedback.db")
        return
    sys.path.insert(0, str(REPO / "tests"))
    from postgres_server import PostgresServer, server_binaries  # the tests' throwaway server

    binaries = server_binaries()
    if binaries is None:
        raise SystemExit("--postgres needs Debian's postgresql package (no server binaries found)")
    server = PostgresServer(binaries, free_port())
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()


def stored_ids(location: str) -> list[int]:
    """Every correction id the store holds, read a page at a time."""
    from classifier.feedback.store import open_store

    found: list[int] = []
    with open_store(location) as store:
        while page := store.page(after=found[-1] if found else 0, limit=1_000):
            found += [correction.id for correction in page]
    return found


def wait_ready(port: int, server: subprocess.Popen, workers: int) -> None:
    """Until ``/readyz`` answers 200 and the master has all its workers."""
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/readyz", timeout=1).close()
            if len(workers_of(server.pid)) == workers:
                time.sleep(0.5)  # the last one forked may still be booting
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server was not ready within 60 s")


def report(args, load, outcomes, snapshots: dict, end_memory: dict, server_log: str, stored: list[int]):
    summary = summarise(outcomes, snapshots["windows"], args)
    acknowledged = [number for o in outcomes for number in o.stored]
    summary["corrections"] = {
        "store": "postgresql" if args.postgres else "sqlite",
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "acknowledged_not_stored": len(set(acknowledged) - set(stored)),
        "stored_not_acknowledged": len(set(stored) - set(acknowledged)),
    }
    # Worker processes the master had to replace, and errors it logged, count as unexpected too.
    for needle in ("WORKER TIMEOUT", "was sent SIGKILL", "Exception", "reload refused", "Traceback"):
        if found := server_log.count(needle):
            summary["unexpected_by_kind"][f"server log: {needle}"] = found
    start = snapshots["warm"]
    memory_report = {
        "cold": snapshots["cold"],
        "start": start,
        "end": end_memory,
        "growth_pct": {
            "workers_rss": growth(start["workers"]["rss"], end_memory["workers"]["rss"]),
            "workers_pss": growth(start["workers"]["pss"], end_memory["workers"]["pss"]),
            "master_rss": growth(start["master"]["rss"], end_memory["master"]["rss"]),
        },
    }
    sent_rate = summary["requests_sent"] / args.seconds
    unexpected = sum(summary["unexpected_by_kind"].values())
    worst_growth = max(memory_report["growth_pct"]["workers_pss"], memory_report["growth_pct"]["master_rss"])
    # The generator starting requests at the rate is not enough: the service must answer them as fast,
    # or they queue. It kept up when one-headline p99 stayed under a second in every window.
    worst_p99 = max((w["single_p50_p95_p99_ms"][2] or 0.0) for w in summary["windows"])
    targets = [
        {
            "target": f"requests started at {args.rate:g}/s",
            "value": round(sent_rate, 1),
            "met": sent_rate >= args.rate * 0.99,
        },
        {
            "target": "kept up: worst window's 1-headline p99 ms (< 1,000)",
            "value": worst_p99,
            "met": worst_p99 < 1000,
        },
        {"target": "unexpected errors (0)", "value": unexpected, "met": unexpected == 0},
        {
            "target": f"corrections in the {summary['corrections']['store']} store = acknowledged",
            "value": f"{len(stored):,} stored, {len(acknowledged):,} acknowledged",
            "met": sorted(stored) == sorted(acknowledged) and len(set(acknowledged)) == len(acknowledged),
        },
        {
            "target": "memory growth, worker PSS and master RSS (< 10%)",
            "value": worst_growth,
            "met": worst_growth < 10,
        },
    ]
    result = {
        "machine": {"cores": os.cpu_count(), "load_average_at_start": round(load, 2)},
        "settings": {
            "seconds": args.seconds,
            "rate": args.rate,
            "window": args.window,
            "reload_every": args.reload_every,
            "warmup": args.warmup,
            "workers": args.workers,
            "corrections_store": summary["corrections"]["store"],
            "mix_per_20": dict(Counter(PATTERN)),
        },
        "summary": summary,
        "memory": memory_report,
        "targets": targets,
    }
    text = table(result)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    args.out.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out} and {args.out.with_suffix('.txt').name}")


if __name__ == "__main__":
    main()
