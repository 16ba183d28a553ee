"""How long one assessment takes: a 30-indicator answer set against the adult
labour list, median over many runs. The engine is pure Python, so no Django.

    .venv/bin/python bench/bench_assessment.py [--runs 20000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indicators import catalogue  # noqa: E402
from indicators.assessment import assess  # noqa: E402

CATALOGUE_ID = "ilo-2009-adult-labour"
ANSWER_SIZE = 30


def timings(codes: list[str], runs: int, *, record: bool) -> list[float]:
    samples = []
    clock = time.perf_counter_ns
    for _ in range(runs):
        start = clock()
        result = assess(CATALOGUE_ID, codes)
        if record:
            result.to_dict()
        samples.append((clock() - start) / 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2009)
    args = parser.parse_args()

    all_codes = [i.code for i in catalogue.get(CATALOGUE_ID).indicators]
    codes = random.Random(args.seed).sample(all_codes, ANSWER_SIZE)
    outcome = assess(CATALOGUE_ID, codes).outcome
    timings(codes, 1000, record=True)  # warm up

    print(f"catalogue {CATALOGUE_ID}, {ANSWER_SIZE} indicators, outcome {outcome}")
    print(f"python {sys.version.split()[0]}, {args.runs} runs each")
    for label, record in (("assess()", False), ("assess() + to_dict()", True)):
        samples = timings(codes, args.runs, record=record)
        quantiles = statistics.quantiles(samples, n=100)
        print(
            f"{label:<22} median {statistics.median(samples):7.1f} µs"
            f"   p90 {quantiles[89]:7.1f} µs   p99 {quantiles[98]:7.1f} µs"
        )


if __name__ == "__main__":
    main()
