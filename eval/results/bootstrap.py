#!/usr/bin/env python3
"""Paired bootstrap intervals for the Δ columns of `rag plan`'s cross-fitted comparison.

    python3 eval/results/bootstrap.py SWEEP-QUESTIONS.csv PLAN-OUTPUT.txt [RESAMPLES] [SEED]

Per budget line of PLAN-OUTPUT (the table `rag plan` prints) and per question i of the sweep:
d_i = correct(setting planned by the fold that held i out) - correct(oracle setting); likewise against the setting
picked without a model by the fold that held i out. Fold 1 is fitted on the odd-numbered questions and judged on the
even-numbered, fold 2 the other way round (PlanCommand). The settings stay as the table chose them; the questions are
resampled with replacement (default 10,000 times, seed 20261130) and the 2.5th and 97.5th percentiles of mean(d) are
the 95 % interval. Conditional on the oracle's choice: it does not remove the oracle's winner's curse.
"""
import csv
import random
import re
import sys


def settings(cell):
    """'RAG k=2 N=1 / ITERDRAG k=2 N=1' -> (fold-1 key, fold-2 key); one name means both folds chose it."""
    if cell.strip() == "-":
        return None
    names = [n.strip() for n in cell.split("/")]
    keys = []
    for n in names:
        m = re.fullmatch(r"(\w+) k=(\d+) N=(\d+)", n)
        keys.append((m.group(1), int(m.group(2)), int(m.group(3))))
    return (keys[0], keys[-1])


def main():
    sweep, output = sys.argv[1], sys.argv[2]
    resamples = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 20261130
    correct = {}
    for r in csv.DictReader(open(sweep, encoding="utf-8")):
        correct[(r["strategy"], int(r["k"]), int(r["n"]), int(r["question"]))] = int(r["correct"])
    questions = sorted({q for (_, _, _, q) in correct})
    lines = [l for l in open(output, encoding="utf-8") if re.match(r"\|\s*\d+\s*\|", l)]
    rng = random.Random(seed)
    draws = [[rng.randrange(len(questions)) for _ in questions] for _ in range(resamples)]
    print("| token budget | Δ vs oracle (points) | 95 % interval | Δ vs no-model pick (points) | 95 % interval |")
    print("|---:|---:|---|---:|---|")
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        budget, planned, oracle, picked = cells[0], settings(cells[1]), settings(cells[5]), settings(cells[9])

        def held_out(pair, q):
            key = pair[0] if q % 2 == 0 else pair[1]  # fold 1 (fitted on odd) judges the even-numbered questions
            return correct[key + (q,)]

        out = [budget]
        for other in (oracle, picked):
            if other is None:
                out += ["-", "-"]
                continue
            d = [held_out(planned, q) - (correct[oracle[0] + (q,)] if other is oracle else held_out(other, q))
                 for q in questions]
            means = sorted(sum(d[i] for i in idx) / len(d) for idx in draws)
            lo, hi = means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]
            out += ["%+.1f" % (100 * sum(d) / len(d)), "[%+.1f, %+.1f]" % (100 * lo, 100 * hi)]
        print("| " + " | ".join(out) + " |")


if __name__ == "__main__":
    main()
