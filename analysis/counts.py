"""Frequency tables: validation, ranks from counts and exact null distributions.

Rating answers are categorical, so a count per category (and per group) is a
sufficient statistic for every rank-based method in this library. This module
holds the small pieces those methods share:

* validation of count vectors and contingency tables (non-negative, finite,
  whole numbers);
* conversion of raw rows into counts, so that row-based and count-based inputs
  go through the same code;
* midranks of ordered categories computed analytically from the totals, without
  ever expanding the table into rows (a category holding ``t`` tied
  observations that start after ``c`` smaller ones has midrank
  ``c + (t + 1) / 2``);
* the tie term ``Σ (t³ − t)`` used by the tie corrections of Mann–Whitney,
  Kruskal–Wallis, Dunn and Mann–Kendall;
* exact null distributions as integer polynomial coefficients: the Mann–Whitney
  ``U`` distribution (Gaussian binomial coefficient) and the number of
  inversions of a permutation (Mahonian numbers), the latter giving the exact
  distribution of the Mann–Kendall ``S`` without ties.

Arithmetic on large counts is done in floating point (``t³`` of a count of
a few million overflows 64-bit integers), and exact distributions use Python
integers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray: TypeAlias = NDArray[np.float64]

CountTable: TypeAlias = Mapping[Any, float]
"""A frequency table ``{value or code: count}``, e.g. ``{1: 3, 2: 5, 9: 1}``."""


def as_counts(counts: ArrayLike, name: str = "counts") -> FloatArray:
    """Validate a one-dimensional vector of counts and return it as floats.

    Counts must be finite, non-negative whole numbers. They are returned as
    ``float64`` so that sums of squares and cubes cannot overflow.
    """
    array = np.asarray(counts, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    _check_count_values(array, name)
    return array


def as_table(table: ArrayLike, name: str = "table") -> FloatArray:
    """Validate a two-dimensional table of counts (categories × groups)."""
    array = np.asarray(table, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional, got shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} is empty")
    _check_count_values(array, name)
    return array


def _check_count_values(array: FloatArray, name: str) -> None:
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite numbers")
    if np.any(array < 0):
        raise ValueError(f"{name} must not be negative")
    if np.any(array != np.round(array)):
        raise ValueError(f"{name} must be whole numbers")


def as_count_mapping(counts: CountTable, name: str = "counts") -> dict[float, int]:
    """Validate a ``{value: count}`` mapping; return it with integer counts.

    Keys must be finite numbers (the scale codes or measured values). The
    result keeps every key, including keys with a zero count.
    """
    if not isinstance(counts, Mapping):
        raise ValueError(f"{name} must be a mapping of value -> count")
    result: dict[float, int] = {}
    for key, count in counts.items():
        value = float(key)
        if not math.isfinite(value):
            raise ValueError(f"{name} has a non-finite value {key!r}")
        number = float(count)
        if not math.isfinite(number) or number < 0 or number != round(number):
            raise ValueError(f"{name} must hold non-negative whole numbers, got {count!r}")
        if value in result:
            raise ValueError(f"{name} lists the value {key!r} twice")
        result[value] = int(number)
    return result


def counts_from_values(values: ArrayLike, name: str = "values") -> dict[float, int]:
    """Turn raw observations into a ``{value: count}`` frequency table."""
    array = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    unique, freq = np.unique(array, return_counts=True)
    return {float(u): int(f) for u, f in zip(unique, freq, strict=True)}


def table_from_groups(groups: Sequence[ArrayLike]) -> tuple[FloatArray, FloatArray]:
    """Cross-tabulate raw observations of several groups.

    Returns ``(categories, table)`` where ``categories`` are the sorted distinct
    values over all groups and ``table[k, g]`` counts value ``k`` in group ``g``.
    """
    if len(groups) == 0:
        raise ValueError("at least one group is required")
    arrays = [np.asarray(g, dtype=np.float64).ravel() for g in groups]
    for index, array in enumerate(arrays):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"group {index} contains NaN or infinite values")
    categories = np.unique(np.concatenate(arrays))
    table = np.zeros((categories.size, len(arrays)), dtype=np.float64)
    for column, array in enumerate(arrays):
        positions = np.searchsorted(categories, array)
        np.add.at(table[:, column], positions, 1.0)
    return categories, table


def midranks(totals: ArrayLike) -> FloatArray:
    """Midranks of ordered categories from their total counts.

    Category ``k`` with ``t_k`` observations, preceded by ``c_k`` observations
    in lower categories, occupies ranks ``c_k + 1 … c_k + t_k``; every
    observation in it gets the average ``c_k + (t_k + 1) / 2``. Empty categories
    get a (harmless) rank as well, since they carry zero weight.
    """
    t = as_counts(totals, "totals")
    before = np.concatenate(([0.0], np.cumsum(t)[:-1]))
    return before + (t + 1.0) / 2.0


def tie_term(totals: ArrayLike) -> float:
    """``Σ (t³ − t)`` over tie groups of sizes ``t`` (zero without ties)."""
    t = as_counts(totals, "totals")
    return float(np.sum(t**3 - t))


def _poly_multiply(a: list[int], b: list[int]) -> list[int]:
    result = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        if x == 0:
            continue
        for j, y in enumerate(b):
            result[i + j] += x * y
    return result


def mann_whitney_null_counts(m: int, n: int) -> list[int]:
    """Number of orderings giving ``U = 0, 1, …, m·n`` for sample sizes ``m``, ``n``.

    These are the coefficients of the Gaussian binomial coefficient
    ``[m + n choose m]_q = Π_{i=1..m} (1 − q^(n+i)) / (1 − q^i)``; they sum to
    ``C(m + n, m)``. Exact integers (Mann & Whitney 1947).
    """
    if m < 0 or n < 0:
        raise ValueError("sample sizes must not be negative")
    poly = [1]
    for i in range(1, m + 1):
        # multiply by (1 - q^(n+i))
        shifted = [0] * (n + i) + [-c for c in poly]
        poly = [a + b for a, b in _zip_pad(poly, shifted)]
        # divide by (1 - q^i): running sum with stride i
        for k in range(i, len(poly)):
            poly[k] += poly[k - i]
        # trim to the exact degree i*n
        poly = poly[: i * n + 1]
    return poly


def _zip_pad(a: list[int], b: list[int]) -> Iterable[tuple[int, int]]:
    length = max(len(a), len(b))
    for k in range(length):
        yield (a[k] if k < len(a) else 0, b[k] if k < len(b) else 0)


def inversion_counts(n: int) -> list[int]:
    """Number of permutations of ``n`` items with ``0, 1, …, n(n−1)/2`` inversions.

    Mahonian numbers: coefficients of ``Π_{k=1..n} (1 + q + … + q^(k−1))``.
    Under the null hypothesis of no trend (and no ties) the Mann–Kendall
    statistic is ``S = n(n−1)/2 − 2·inversions``, so this is its exact
    distribution (Kendall 1975; tabulated in Gilbert 1987, Table A18).
    """
    if n < 0:
        raise ValueError("n must not be negative")
    poly = [1]
    for k in range(1, n + 1):
        poly = _poly_multiply(poly, [1] * k)
    return poly
