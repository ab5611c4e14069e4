"""Statistics shared by the benchmark scripts: the report's distribution-free interval of a median."""
import math
import statistics


def median_interval(values):
    """The median and its distribution-free 95% interval (the report's method, report/src/stats.rs):
    [x(k), x(n-k+1)] with k the largest index whose two binomial tails stay within 2.5% each;
    None below 6 values, where no such k exists."""
    xs, n = sorted(values), len(values)
    tail = lambda k: sum(math.comb(n, i) for i in range(k)) / 2 ** n
    k = max((k for k in range(1, n // 2 + 1) if tail(k) <= 0.025), default=None)
    return statistics.median(xs), (xs[k - 1], xs[n - k]) if k else None
