"""Benchmark the HTTP service under gunicorn, next to a bare Flask app under the same settings.

    .venv/bin/python bench/service.py [--duration 10] [--workers 2] [--rounds 2]

Trains the starter model into a temporary folder, starts ``headline-tagger
serve`` on 127.0.0.1 and, with the same gunicorn settings (``service.server.run``),
a bare Flask app whose ``POST /v1/tag`` returns a constant. ``wrk`` (installed
with apt-get when missing) drives each from its own process: peak throughput
with one headline a request and with 100, then the latency of one-headline
requests paced at half the peak. Bodies cycle through the starter corpus, so
no two requests in a row are the same. The two servers take ``--rounds``
turns, and each shows its round with the best one-headline peak. Prints a
table and writes ``bench/results/service.json`` with the memory of every
worker (RSS and PSS).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "service.json"
HOST = "127.0.0.1"
# wrk calls done() at the end; it prints the numbers as one JSON line.
LUA = """
local bodies, i = {}, 0
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local headers = {["Content-Type"] = "application/json"}
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/v1/tag", headers, bodies[i])
end
%(delay)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %%d, "seconds": %%.3f, "errors": %%d, "p50_ms": %%.3f, ' ..
    '"p95_ms": %%.3f, "p99_ms": %%.3f}\\n', summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3))
end
"""


def bare_server(port: int, workers: int) -> None:
    """The baseline: Flask under ``service.server.run``, answering a constant."""
    from flask import Flask

    from service.server import run

    app = Flask("bare")
    answer = {"model": "bare", "label": "politics", "score": 0.9, "labels": [], "abstained": False}
    app.post("/v1/tag", endpoint="tag")(lambda: answer)
    app.get("/livez", endpoint="livez")(lambda: {"status": "ok"})
    run(app, host=HOST, port=port, workers=workers)


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def write_bodies(folder: Path) -> dict[str, Path]:
    """One JSON body a line: single headlines, and batches of 100, from the starter corpus."""
    from live import starter_rows  # here: the bare server runs with -P, without this folder on sys.path

    rows = starter_rows()
    items = [{"id": n, "headline": r["headline"], "teaser": r["teaser"]} for n, r in enumerate(rows)]
    single = [json.dumps({"headline": r["headline"], "teaser": r["teaser"]}) for r in rows]
    batches = [json.dumps({"items": items[n : n + 100]}) for n in range(0, len(items) - 99, 20)]
    paths = {"single": folder / "single.jsonl", "batch": folder / "batch.jsonl"}
    paths["single"].write_text("\n".join(single) + "\n", encoding="utf-8")
    paths["batch"].write_text("\n".join(batches) + "\n", encoding="utf-8")
    return paths


def wrk(
    binary: str, port: int, bodies: Path, folder: Path, seconds: int, connections: int, rate=None
) -> dict:
    """One wrk run; with ``rate``, each connection waits between requests to hold that total rate."""
    delay = f"delay = function() return {connections * 1000 / rate:.3f} end" if rate else ""
    script = folder / f"run-{bodies.stem}-{rate or 'peak'}.lua"
    script.write_text(LUA % {"bodies": bodies, "delay": delay}, encoding="utf-8")
    command = [
        binary,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        str(script),
        f"http://{HOST}:{port}/v1/tag",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["per_second"] = round(result["requests"] / result["seconds"], 1)
    return result


def memory(master: int) -> list[dict]:
    """RSS and PSS (shared pages split between the processes that share them) of each worker, in MiB."""
    from live import rollup, workers_of

    return [{f"{key}_mib": round(mib, 1) for key, mib in rollup(pid).items()} for pid in workers_of(master)]


def cpu_seconds(master: int) -> float:
    """User + system CPU time the workers have used: a cost per request that other load on the machine
    does not inflate the way it inflates wall-clock throughput."""
    from live import workers_of

    ticks = 0
    for pid in workers_of(master):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def start(command: list[str], port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/livez", timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{command[0]} did not come up on port {port}")


def measure(name: str, command: list[str], port: int, env: dict, args, wrk_binary: str, folder: Path) -> dict:
    """Start one server, run the three loads against it, read its workers' memory, stop it."""
    bodies = write_bodies(folder)
    process = start(command, port, env)

    def load(kind: str, seconds: int, connections: int, rate: float | None = None) -> dict:
        before = cpu_seconds(process.pid)
        result = wrk(wrk_binary, port, bodies[kind], folder, seconds, connections, rate)
        result["worker_cpu_ms_per_request"] = round(
            (cpu_seconds(process.pid) - before) * 1000 / result["requests"], 3
        )
        return result

    try:
        load("single", 2, args.connections)  # warm-up
        single = load("single", args.duration, args.connections)
        batch = load("batch", args.duration, max(2, args.workers * 2))
        batch["headlines_per_second"] = round(batch["per_second"] * 100, 1)
        half = load("single", args.duration, 8, rate=single["per_second"] / 2)
        return {
            "name": name,
            "single": single,
            "batch_100": batch,
            "half_peak": half,
            "workers": memory(process.pid),
        }
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16, help="connections of the peak loads")
    parser.add_argument(
        "--rounds", type=_positive, default=2, help="turns each server takes (the best counts)"
    )
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        return bare_server(args.bare_server, args.workers)
    wrk_binary = ensure_wrk()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADLINE_TAGGER_")}
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        folder = Path(tmp)
        from live import train_starter

        train_starter(folder / "models")
        cli = str(Path(sys.executable).parent / "headline-tagger")
        serve = [
            cli,
            "serve",
            "--models-dir",
            str(folder / "models"),
            "--port",
            "8731",
            "--workers",
            str(args.workers),
        ]
        # -P: this file is bench/service.py, and its folder on sys.path would hide the service package.
        bare = [sys.executable, "-P", __file__, "--bare-server", "8732", "--workers", str(args.workers)]
        load = os.getloadavg()[0]
        # The two servers take turns, and each counts its round with the best one-headline peak: the
        # speed of this machine's cores drifts by a tenth to a third within an hour.
        servers = [("headline-tagger", serve, 8731), ("bare Flask", bare, 8732)]
        measured: dict[str, list[dict]] = {name: [] for name, _, _ in servers}
        for number in range(args.rounds):
            # Whichever server goes first alternates, so that a drift does not favour one side.
            for name, command, port in servers[:: 1 if number % 2 == 0 else -1]:
                measured[name].append(measure(name, command, port, env, args, wrk_binary, folder))
        runs = [_best(measured[name]) for name, _, _ in servers]
    report(runs, args, load)


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _best(measured: list[dict]) -> dict:
    """The round with the highest one-headline peak, with every round's peak."""
    best = dict(max(measured, key=lambda run: run["single"]["per_second"]))
    best["single_per_second_each_round"] = [run["single"]["per_second"] for run in measured]
    return best


_LOADS = (
    ("single", "1 headline, peak"),
    ("batch_100", "100 headlines, peak"),
    ("half_peak", "1 headline, half peak"),
)


def targets(service: dict, bare: dict) -> list[tuple[str, float, bool]]:
    """Issue 12's targets: (what, measured value, met)."""
    share = service["single"]["per_second"] / bare["single"]["per_second"]
    p99 = service["half_peak"]["p99_ms"]
    batch = service["batch_100"]["headlines_per_second"]
    cpu_share = bare["single"]["worker_cpu_ms_per_request"] / service["single"]["worker_cpu_ms_per_request"]
    return [
        ("1-headline throughput, share of bare Flask (>= 0.75)", share, share >= 0.75),
        ("the same from CPU time per request (>= 0.75)", cpu_share, cpu_share >= 0.75),
        ("p99 ms at half peak (< 5)", p99, p99 < 5),
        ("headlines/s in batches of 100 (>= 80,000)", batch, batch >= 80_000),
    ]


def report(runs: list[dict], args, load: float) -> None:
    header = ("server", "load", "req/s", "headlines/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/req")
    print("{:<16} {:<22} {:>9} {:>12} {:>8} {:>8} {:>8} {:>11}".format(*header))
    for run in runs:
        for key, label in _LOADS:
            r = run[key]
            headlines = r.get("headlines_per_second", r["per_second"])
            print(
                f"{run['name']:<16} {label:<22} {r['per_second']:>9,.0f} {headlines:>12,.0f} "
                f"{r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f} "
                f"{r['worker_cpu_ms_per_request']:>11.3f}"
            )
        sizes = ", ".join(f"RSS {w['rss_mib']} MiB / PSS {w['pss_mib']} MiB" for w in run["workers"])
        print(f"{'':<16} memory per worker: {sizes}")
        peaks = ", ".join(f"{peak:,.0f}" for peak in run["single_per_second_each_round"])
        print(f"{'':<16} 1-headline peak of each round, the best shown: {peaks} req/s")
    checked = targets(*runs)
    for name, value, met in checked:
        print(f"{'met' if met else 'MISSED':<7} {name}: {value:,.2f}")
    machine = {
        "cores": os.cpu_count(),
        "load_average_at_start": round(load, 2),
        "seconds_per_load": args.duration,
        "rounds": args.rounds,
    }
    result = {
        "machine": machine,
        "runs": runs,
        "targets": [dict(zip(("target", "value", "met"), t, strict=True)) for t in checked],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
