"""Step cost and state size of a loop repeated 10,000 times (issue 17: the task tree is pruned).

    .venv/bin/python -m bench.long_loops [KIND ...]

For each kind of loop (tests/unit/long_loop_diagrams.py), driven through the real Runner with the
state serialized between steps as the service does, prints the cost of a round (the median of the
ten rounds ending at round 1, 100, 1,000 and 10,000: round 1 alone is the first) and the state's size.
"""

from __future__ import annotations

import statistics
import sys

from tests.unit.long_loop_driver import KINDS, rounds

MARKS = (1, 100, 1_000, 10_000)


def main(kinds: list[str]) -> None:
    print(f"{'loop':<18}" + "".join(f"{'round ' + format(m, ','):>16}" for m in MARKS) + f"{'ratio':>8}")
    for kind in kinds:
        recent: list[float] = []
        cost: dict[int, float] = {}
        size: dict[int, int] = {}
        for r in rounds(kind, MARKS[-1]):
            recent = [*recent[-9:], r.seconds]
            if r.number in MARKS:
                cost[r.number] = statistics.median(recent)
                size[r.number] = r.size
        cells = "".join(f"{cost[m] * 1000:>8.2f} ms {size[m] / 1000:>4.1f}k" for m in MARKS)
        print(f"{kind:<18}{cells}{cost[MARKS[-1]] / cost[MARKS[1]]:>8.2f}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(KINDS))
