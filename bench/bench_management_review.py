"""Benchmark: the statistics of one management review, from count tables vs raw rows.

Design principle 3 ("aggregate where the data is") says reports read count
tables (value × unit × period) from SQL and hand them to ``analysis/``, so their
cost grows with the number of groups, not of responses. This script measures
that claim on one synthetic office:

* 1,000,000 resident responses, 20 units (wydziały), 8 quarters;
* 10 rating items on a 1–5 scale with a "nie dotyczy" code (99), and one 0–10
  recommendation item (NPS) with its own "nie wiem" code (99).

It builds the count tables with ``numpy.bincount`` (what ``GROUP BY`` returns)
and computes from them the statistics behind one management review:

* per item × unit × quarter: n, "nie dotyczy" count, distribution, mean with
  t-interval, top-2-box with Wilson interval (``summarize_item`` also returns
  the median, bottom-2-box, net score and 0–100 score, which the row-based
  path below does not compute: the count-based path does more, not less);
* NPS with adjusted-Wald interval per unit × quarter;
* Kruskal–Wallis between units per item in the latest quarter;
* the change of top-2-box from the previous quarter per item × unit
  (Newcombe interval, two-proportion test);
* a p-chart of top-2-box over the quarters per item × unit;
* the verdict on the objective "top-2-box of item 1 ≥ 75%" per unit.

It then computes the same quantities from the 1,000,000 raw rows with pandas
(the row-based baseline: vectorised ``groupby`` aggregations over all items at
once), checks that a sample of the results agree, and prints both timings and
their ratio. Both paths start cold in the same process (no warm-up run, no
results carried over). Timings are measured, never asserted. Run:
``python bench/bench_management_review.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import comparisons, indices, items, objectives, spc, trends

N_RESPONSES = 1_000_000
N_ITEMS = 10
N_UNITS = 20
N_QUARTERS = 8
NA = 99
TARGET = 0.75
SCALE = items.Scale.likert(5)
RATING_CODES = (1, 2, 3, 4, 5, NA)
RECOMMEND_CODES = (*range(11), NA)
ITEMS = [f"item_{i + 1}" for i in range(N_ITEMS)]
Z = float(stats.norm.ppf(0.975))


# --- synthetic data ------------------------------------------------------------------


def synthesise(seed: int = 2024) -> dict[str, np.ndarray]:
    """One row per response: unit, quarter, 10 ratings (1–5 or 99), recommendation (0–10 or 99)."""
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, N_UNITS, N_RESPONSES).astype(np.int8)
    quarter = rng.integers(0, N_QUARTERS, N_RESPONSES).astype(np.int8)
    unit_effect = rng.normal(0.0, 0.35, N_UNITS)
    quarter_effect = np.linspace(-0.02, 0.02, N_QUARTERS)
    person = rng.normal(0.0, 0.8, N_RESPONSES)
    latent = unit_effect[unit] + quarter_effect[quarter] + person
    # A special cause for the control charts: unit 8 drops in the latest quarter.
    latent[(unit == 7) & (quarter == N_QUARTERS - 1)] -= 0.3
    cuts = np.array([-2.6, -1.7, -0.6, 0.6])
    data: dict[str, np.ndarray] = {"unit": unit, "quarter": quarter}
    for i, name in enumerate(ITEMS):
        item_shift = 0.25 * np.sin(i)
        noise = rng.logistic(0.0, 0.6, N_RESPONSES)
        rating = 1 + np.searchsorted(cuts, latent + item_shift + noise).astype(np.int8)
        rating[rng.random(N_RESPONSES) < 0.04] = NA
        data[name] = rating
    score = np.clip(np.rint(7.6 + 1.5 * latent + rng.normal(0, 1.2, N_RESPONSES)), 0, 10)
    recommend = score.astype(np.int8)
    recommend[rng.random(N_RESPONSES) < 0.03] = NA
    data["recommend"] = recommend
    return data


def count_tables(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """counts[code index, unit, quarter] per item — what SQL GROUP BY returns."""
    cell = data["unit"].astype(np.int64) * N_QUARTERS + data["quarter"]
    tables = {}
    for name, codes in [*((item, RATING_CODES) for item in ITEMS), ("recommend", RECOMMEND_CODES)]:
        lookup = np.full(NA + 1, -1, dtype=np.int64)
        lookup[list(codes)] = np.arange(len(codes))
        index = lookup[data[name]] * (N_UNITS * N_QUARTERS) + cell
        counts = np.bincount(index, minlength=len(codes) * N_UNITS * N_QUARTERS)
        tables[name] = counts.reshape(len(codes), N_UNITS, N_QUARTERS)
    return tables


# --- the review from count tables ------------------------------------------------------


def review_from_counts(tables: dict[str, np.ndarray]) -> dict[str, Any]:
    last, previous = N_QUARTERS - 1, N_QUARTERS - 2
    summaries: dict[tuple[str, int, int], items.ItemSummary] = {}
    for item in ITEMS:
        table = tables[item]
        for u in range(N_UNITS):
            for q in range(N_QUARTERS):
                counts = dict(zip(RATING_CODES, table[:, u, q].tolist(), strict=True))
                summaries[item, u, q] = items.summarize_item(counts, SCALE, not_applicable=(NA,))
    nps = {}
    for u in range(N_UNITS):
        for q in range(N_QUARTERS):
            counts = dict(zip(RECOMMEND_CODES, tables["recommend"][:, u, q].tolist(), strict=True))
            nps[u, q] = indices.nps(counts, not_applicable=(NA,))
    kruskal = {item: comparisons.kruskal_wallis_table(tables[item][:5, :, last]) for item in ITEMS}
    changes = {}
    charts = {}
    for item in ITEMS:
        table = tables[item]
        for u in range(N_UNITS):
            before = dict(zip(RATING_CODES, table[:, u, previous].tolist(), strict=True))
            after = dict(zip(RATING_CODES, table[:, u, last].tolist(), strict=True))
            changes[item, u] = trends.change_in_top_box(before, after, SCALE, not_applicable=(NA,))
            t2b = table[3:5, u, :].sum(axis=0)
            valid = table[:5, u, :].sum(axis=0)
            charts[item, u] = spc.p_chart(t2b, valid, [f"Q{q + 1}" for q in range(N_QUARTERS)])
    verdicts = {u: objectives.evaluate_objective(summaries[ITEMS[0], u, last].t2b, TARGET) for u in range(N_UNITS)}
    return {
        "summaries": summaries,
        "nps": nps,
        "kruskal": kruskal,
        "changes": changes,
        "charts": charts,
        "verdicts": verdicts,
    }


# --- the same review from raw rows with pandas -----------------------------------------


def _wilson(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = x / n
    denominator = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denominator
    half = Z * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / denominator
    return np.maximum(0.0, np.minimum(centre - half, p)), np.minimum(1.0, np.maximum(centre + half, p))


def review_from_rows(df: pd.DataFrame) -> dict[str, Any]:
    last, previous = N_QUARTERS - 1, N_QUARTERS - 2
    keys = [df["unit"], df["quarter"]]
    answers = df[ITEMS]
    # "nie dotyczy" becomes NaN, which count, mean, std and value_counts skip.
    rated = answers.where(answers != NA)
    # One grouping by unit × quarter serves count, mean, std and the distributions.
    by_cell = rated.groupby(keys)
    n_all, mean_all, sd_all = by_cell.count(), by_cell.mean(), by_cell.std()
    top_all = (rated >= 4).groupby(keys).sum()
    not_applicable_all = (answers == NA).groupby(keys).sum()
    summaries = {}
    for item in ITEMS:
        n, mean, sd, top = n_all[item], mean_all[item], sd_all[item], top_all[item]
        distribution = by_cell[item].value_counts().unstack(fill_value=0)
        distribution.columns = distribution.columns.astype(int)
        nn = n.to_numpy(dtype=float)
        half = stats.t.ppf(0.975, nn - 1) * sd.to_numpy() / np.sqrt(nn)
        lower, upper = _wilson(top.to_numpy(dtype=float), nn)
        summaries[item] = pd.DataFrame(
            {
                "n": n,
                "not_applicable": not_applicable_all[item],
                "mean": mean,
                "mean_lower": np.maximum(mean.to_numpy() - half, SCALE.minimum),
                "mean_upper": np.minimum(mean.to_numpy() + half, SCALE.maximum),
                "t2b_count": top,
                "t2b": top / n,
                "t2b_lower": lower,
                "t2b_upper": upper,
            }
        ).join(distribution)
    recommend = df["recommend"].where(df["recommend"] != NA)
    groups = pd.DataFrame({"answered": recommend.notna(), "promoters": recommend >= 9, "detractors": recommend <= 6})
    sums = groups.groupby(keys).sum()
    n = sums["answered"].to_numpy(dtype=float)
    promoters = sums["promoters"].to_numpy(dtype=float)
    detractors = sums["detractors"].to_numpy(dtype=float)
    n_adj = n + 3
    p_adj = (promoters + 0.75) / n_adj
    d_adj = (detractors + 0.75) / n_adj
    half = Z * np.sqrt((p_adj + d_adj - (p_adj - d_adj) ** 2) / n_adj)
    nps = pd.DataFrame(
        {
            "nps": 100 * (promoters - detractors) / n,
            "lower": 100 * np.maximum(-1, p_adj - d_adj - half),
            "upper": 100 * np.minimum(1, p_adj - d_adj + half),
        },
        index=sums.index,
    )
    kruskal = {}
    latest = df[df["quarter"] == last]
    for item in ITEMS:
        answered = latest.loc[latest[item] != NA, ["unit", item]]
        groups = [group.to_numpy() for _, group in answered.groupby("unit")[item]]
        kruskal[item] = stats.kruskal(*groups).statistic
    changes = {}
    charts = {}
    for item in ITEMS:
        s = summaries[item]
        x = s["t2b_count"].unstack().to_numpy(dtype=float)
        nq = s["n"].unstack().to_numpy(dtype=float)
        x1, n1, x0, n0 = x[:, last], nq[:, last], x[:, previous], nq[:, previous]
        p1, p0 = x1 / n1, x0 / n0
        l1, u1 = _wilson(x1, n1)
        l0, u0 = _wilson(x0, n0)
        pooled = (x1 + x0) / (n1 + n0)
        z = (p1 - p0) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        changes[item] = pd.DataFrame(
            {
                "difference": p1 - p0,
                "lower": p1 - p0 - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2),
                "upper": p1 - p0 + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2),
                "p_value": 2 * stats.norm.sf(np.abs(z)),
            }
        )
        p_bar = x.sum(axis=1, keepdims=True) / nq.sum(axis=1, keepdims=True)
        sigma = np.sqrt(p_bar * (1 - p_bar) / nq)
        charts[item] = {
            "center": p_bar[:, 0],
            "lower": np.maximum(0, p_bar - 3 * sigma),
            "upper": np.minimum(1, p_bar + 3 * sigma),
            "beyond": (x / nq > np.minimum(1, p_bar + 3 * sigma)) | (x / nq < np.maximum(0, p_bar - 3 * sigma)),
        }
    first = summaries[ITEMS[0]].xs(last, level="quarter")
    verdicts = np.where(
        first["t2b_lower"] >= TARGET,
        "met",
        np.where(first["t2b_upper"] < TARGET, "not_met", "inconclusive"),
    )
    return {
        "summaries": summaries,
        "nps": nps,
        "kruskal": kruskal,
        "changes": changes,
        "charts": charts,
        "verdicts": verdicts,
    }


# --- agreement -----------------------------------------------------------------------


def check_agreement(by_counts: dict[str, Any], by_rows: dict[str, Any]) -> int:
    """Compare a sample of results; return the number of values checked."""
    checked = 0

    def same(a: float, b: float, what: str) -> None:
        nonlocal checked
        if not np.isclose(a, b, rtol=1e-9, atol=1e-9):
            raise AssertionError(f"{what}: count-based {a!r} != row-based {b!r}")
        checked += 1

    rng = np.random.default_rng(1)
    for _ in range(25):
        item = ITEMS[rng.integers(N_ITEMS)]
        u, q = int(rng.integers(N_UNITS)), int(rng.integers(N_QUARTERS))
        s = by_counts["summaries"][item, u, q]
        r = by_rows["summaries"][item].loc[(u, q)]
        same(s.n, r["n"], f"n {item} {u} {q}")
        same(s.n_not_applicable, r["not_applicable"], "not applicable")
        same(s.mean.value, r["mean"], "mean")
        assert s.mean.interval is not None and s.t2b.interval is not None
        same(s.mean.interval.lower, r["mean_lower"], "mean lower")
        same(s.mean.interval.upper, r["mean_upper"], "mean upper")
        same(s.t2b.value, r["t2b"], "T2B")
        same(s.t2b.interval.lower, r["t2b_lower"], "T2B lower")
        same(s.t2b.interval.upper, r["t2b_upper"], "T2B upper")
        for code, count in zip(s.distribution.codes, s.distribution.counts, strict=True):
            same(count, r[code], "distribution")
        nps = by_counts["nps"][u, q].score
        row = by_rows["nps"].loc[(u, q)]
        assert nps.interval is not None
        same(nps.value, row["nps"], "NPS")
        same(nps.interval.lower, row["lower"], "NPS lower")
        same(nps.interval.upper, row["upper"], "NPS upper")
        change = by_counts["changes"][item, u]
        change_row = by_rows["changes"][item].iloc[u]
        assert change.difference.interval is not None
        same(change.difference.value, change_row["difference"], "change")
        same(change.difference.interval.lower, change_row["lower"], "change lower")
        same(change.difference.interval.upper, change_row["upper"], "change upper")
        same(change.test.p_value, change_row["p_value"], "change p")
        chart = by_counts["charts"][item, u]
        same(chart.center, by_rows["charts"][item]["center"][u], "p-chart centre")
        same(chart.upper[q], by_rows["charts"][item]["upper"][u, q], "p-chart UCL")
        same(chart.lower[q], by_rows["charts"][item]["lower"][u, q], "p-chart LCL")
        beyond = {s.index for s in chart.signals if s.rule == "beyond_limits"}
        assert (q in beyond) == bool(by_rows["charts"][item]["beyond"][u, q])
        checked += 1
    for item in ITEMS:
        same(by_counts["kruskal"][item].test.statistic, by_rows["kruskal"][item], "Kruskal H")
    for u in range(N_UNITS):
        assert by_counts["verdicts"][u].code == by_rows["verdicts"][u], f"verdict unit {u}"
        checked += 1
    return checked


# --- main ----------------------------------------------------------------------------


def main() -> None:
    print(
        f"Synthesising {N_RESPONSES:,} responses: {N_ITEMS} items (1–5 + 'nie dotyczy'), "
        f"0–10 recommendation, {N_UNITS} units, {N_QUARTERS} quarters …"
    )
    data = synthesise()
    df = pd.DataFrame(data)

    start = time.perf_counter()
    tables = count_tables(data)
    t_tables = time.perf_counter() - start
    cells = sum(t.size for t in tables.values())

    start = time.perf_counter()
    by_counts = review_from_counts(tables)
    t_counts = time.perf_counter() - start

    start = time.perf_counter()
    by_rows = review_from_rows(df)
    t_rows = time.perf_counter() - start

    checked = check_agreement(by_counts, by_rows)
    summaries = len(by_counts["summaries"])
    signals = sum(len(chart.signals) for chart in by_counts["charts"].values())
    verdict_codes = [v.code for v in by_counts["verdicts"].values()]

    print(
        f"Computed {summaries:,} item summaries, {len(by_counts['nps'])} NPS, "
        f"{len(by_counts['kruskal'])} Kruskal–Wallis tests, {len(by_counts['changes'])} "
        f"period-over-period changes, {len(by_counts['charts'])} p-charts ({signals} signals), "
        f"{len(verdict_codes)} objective verdicts "
        f"({verdict_codes.count('met')} met, {verdict_codes.count('not_met')} not met, "
        f"{verdict_codes.count('inconclusive')} inconclusive)."
    )
    print(
        f"Count tables: {cells:,} cells from {N_RESPONSES:,} rows, built in {t_tables:.2f} s "
        "(in production this is the SQL GROUP BY, done by PostgreSQL)."
    )
    print(f"Agreement: {checked} sampled values identical between the two paths.")
    print(f"count-based: {t_counts:.2f} s; row-based (pandas): {t_rows:.2f} s; ratio {t_rows / t_counts:.1f}x")


if __name__ == "__main__":
    main()
