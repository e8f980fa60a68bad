"""What every benchmark shares: the database as ``make migrate`` leaves it,
interleaved rounds, and the report of medians and ratios.

A benchmark names its steps (baseline, Roamwise, ceiling, ...) and gives each
a function that does the work once and returns the figure measured (seconds,
or requests per second). ``interleaved`` runs them in turn, every step once a
round, so that a machine busier in one minute than in the next weighs on every
step alike. ``report`` prints, per step, the median and the range over the
rounds, then the ratios of the step under test to the baseline and to the
ceiling, taken between medians.
"""

from __future__ import annotations

import io
import os
import statistics
from collections.abc import Callable

from django.core.management import call_command

Results = dict[str, list[float]]


def migrate() -> None:
    """The schema as ``make migrate`` leaves it: both databases, the cache table,
    the policies."""
    call_command("migrate", verbosity=0)
    call_command("migrate", database="vault", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("policy_load", stdout=io.StringIO())


def interleaved(
    rounds: int, steps: dict[str, Callable[[], float]], *, show: Callable[[float], str], unit: str
) -> Results:
    """Each step once per round, in the order given; every figure printed as it comes."""
    results: Results = {name: [] for name in steps}
    width = max(len(name) for name in steps)
    for number in range(1, rounds + 1):
        for name, step in steps.items():
            value = step()
            results[name].append(value)
            print(f"  round {number}: {name:<{width}} {show(value)} {unit}", flush=True)
    return results


def report(
    results: Results,
    *,
    show: Callable[[float], str],
    unit: str,
    subjects: list[str],
    baseline: str,
    ceiling: str | dict[str, str],
    higher_is_better: bool,
) -> None:
    """Median and min-max of every step, then each subject against the
    baseline and the ceiling (its own ceiling when ``ceiling`` is a mapping).

    A ratio is the subject's median over the other's: with rates (higher is
    better) the share of the other's throughput reached, with times the
    multiple of the other's time taken."""
    rounds = min(len(values) for values in results.values())
    width = max(len(name) for name in results)
    print(
        f"\nmedian of {rounds} interleaved rounds (min - max); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end:"
    )
    for name, values in results.items():
        print(
            f"  {name:<{width}} {show(statistics.median(values))} {unit}"
            f"   ({show(min(values)).strip()} - {show(max(values)).strip()})"
        )
    meaning = "of the throughput" if higher_is_better else "times the time"
    print(f"ratios ({meaning}, between medians):")
    for subject in subjects:
        top = ceiling[subject] if isinstance(ceiling, dict) else ceiling
        mine = statistics.median(results[subject])
        print(
            f"  {subject}: {mine / statistics.median(results[baseline]):.2f} against the "
            f"baseline ({baseline}), {mine / statistics.median(results[top]):.2f} against "
            f"the ceiling ({top})"
        )
