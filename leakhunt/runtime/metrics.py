"""Prometheus metrics of a running program: what the timeline records, for
services watched with Prometheus and Grafana across many processes.

:class:`LeakhuntCollector` is a collector for ``prometheus_client`` (the
``prometheus`` extra; imported here only, and only when a collector is
made: ``import leakhunt`` never imports it). Per process it exposes:

=============================================  =======  =====================
metric                                         type     labels
=============================================  =======  =====================
``leakhunt_process_rss_bytes``                 gauge
``leakhunt_process_peak_rss_bytes``            gauge
``leakhunt_live_heap_available``               gauge
``leakhunt_live_heap_bytes``                   gauge    ``allocator``
``leakhunt_gc_objects``                        gauge    ``generation``
``leakhunt_gc_collections_total``              counter  ``generation``
``leakhunt_gc_collected_objects_total``        counter
``leakhunt_gc_uncollectable_objects_total``    counter
``leakhunt_type_objects``                      gauge    ``type`` (top N)
``leakhunt_span_calls_total``                  counter  ``label``
``leakhunt_span_kept_bytes_total``             counter  ``label``
``leakhunt_span_released_bytes_total``         counter  ``label``
``leakhunt_last_snapshot_timestamp_seconds``   gauge
=============================================  =======  =====================

A span's kept bytes are the live heap its call left behind (exit minus
entry); a call that frees more than it allocates adds to the *released*
counter instead, so both stay counters and ``kept - released`` is the net.
Label values are bounded: at most ``max_labels`` span labels (later ones
are counted together under ``"other"``) and ``top_types`` types, so a label made
per request cannot blow up Prometheus's series. Type counts walk the heap:
they are refreshed at most every ``types_interval`` seconds and never more
often than a 0.5% share of the time (as the monitor's), otherwise the last
count is served. The live heap needs glibc (see
:mod:`leakhunt.capture.liveheap`); where there is none,
``leakhunt_live_heap_bytes`` is absent and ``leakhunt_live_heap_available``
is 0.

>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from leakhunt import mark
>>> registry = CollectorRegistry()
>>> collector = LeakhuntCollector(registry=registry)
>>> with mark("work"):
...     keep = bytearray(1 << 20)
>>> b'leakhunt_span_kept_bytes_total{label="work"}' in generate_latest(registry)
True
>>> collector.close()
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector, CollectorRegistry

from .. import capture
from ..capture.liveheap import live_heap
from ..capture.procmem import memory_now
from ..model import Snapshot, owned
from .monitor import _REG, TYPES_BUDGET

__all__ = ["LeakhuntCollector", "start_metrics_server"]

OTHER = "other"


@owned
class LeakhuntCollector(Collector):
    """See the module's docstring. Registers itself with ``registry``
    (prometheus_client's default one unless given; None: not registered)
    and starts counting spans at once; :meth:`close` undoes both."""

    def __init__(
        self,
        *,
        registry: Optional[CollectorRegistry] = REGISTRY,
        top_types: int = 10,
        types_interval: float = 60.0,
        max_labels: int = 50,
    ) -> None:
        if top_types < 0 or max_labels < 1 or not types_interval >= 0:
            raise ValueError("top_types >= 0, max_labels >= 1 and types_interval >= 0, please")
        self.top_types = top_types
        self.types_interval = float(types_interval)
        self.max_labels = max_labels
        self._lock = threading.Lock()
        #: label -> [calls, kept bytes, released bytes]
        self._spans: dict[str, list[int]] = {}
        self._types: list[tuple[str, int]] = []
        self._types_at = -float("inf")
        self._types_wait = 0.0
        self._last_snapshot: Optional[float] = None
        self._heap = live_heap()
        if _REG.heap is None:
            _REG.heap = self._heap
        self._registry = registry
        _REG.span_listeners.append(self._on_span)
        capture.SNAPSHOT_HOOKS.append(self._on_snapshot)
        if registry is not None:
            registry.register(self)

    def close(self) -> None:
        """Stop counting and unregister. Safe to call twice."""
        if self._on_span in _REG.span_listeners:
            _REG.span_listeners.remove(self._on_span)
        if self._on_snapshot in capture.SNAPSHOT_HOOKS:
            capture.SNAPSHOT_HOOKS.remove(self._on_snapshot)
        registry, self._registry = self._registry, None
        if registry is not None:
            try:
                registry.unregister(self)
            except KeyError:
                pass

    # ---------------------------------------------------------- hooks

    def _on_span(self, label: str, kept: int) -> None:
        with self._lock:
            row = self._spans.get(label)
            if row is None:
                if len(self._spans) >= self.max_labels and label != OTHER:
                    label = OTHER
                row = self._spans.setdefault(label, [0, 0, 0])
            row[0] += 1
            if kept >= 0:
                row[1] += kept
            else:
                row[2] -= kept

    def _on_snapshot(self, s: Snapshot) -> None:
        self._last_snapshot = s.wall_time

    # ---------------------------------------------------------- collect

    def _type_counts(self) -> list[tuple[str, int]]:
        now = time.monotonic()
        if self.top_types and now >= self._types_at + max(self.types_interval, self._types_wait):
            t0 = time.perf_counter()
            rows = capture.type_histogram()
            self._types = [(str(r[0]), int(r[1])) for r in rows[: self.top_types]]
            self._types_wait = (time.perf_counter() - t0) / TYPES_BUDGET
            self._types_at = now
        return self._types

    def collect(self) -> Iterator[Any]:
        rss, peak = memory_now()
        if rss is not None:
            yield GaugeMetricFamily(
                "leakhunt_process_rss_bytes", "Resident set size of the process.", value=rss
            )
        if peak is not None:
            yield GaugeMetricFamily(
                "leakhunt_process_peak_rss_bytes", "Peak resident set size.", value=peak
            )
        heap = self._heap.exact()
        yield GaugeMetricFamily(
            "leakhunt_live_heap_available",
            "1 when the live heap can be read on this platform (glibc), else 0.",
            value=0 if heap is None else 1,
        )
        if heap is not None:
            g = GaugeMetricFamily(
                "leakhunt_live_heap_bytes",
                "Bytes the allocators hand out and have not been given back.",
                labels=["allocator"],
            )
            g.add_metric(["malloc"], heap - self._heap.pymalloc)
            g.add_metric(["pymalloc"], self._heap.pymalloc)
            yield g
        counts = gc.get_count()
        g = GaugeMetricFamily(
            "leakhunt_gc_objects",
            "Allocations minus deallocations since the generation's last collection.",
            labels=["generation"],
        )
        for i, n in enumerate(counts):
            g.add_metric([str(i)], n)
        yield g
        stats = gc.get_stats()
        c = CounterMetricFamily(
            "leakhunt_gc_collections", "Garbage collections run.", labels=["generation"]
        )
        for i, st in enumerate(stats):
            c.add_metric([str(i)], int(st.get("collections", 0)))
        yield c
        yield CounterMetricFamily(
            "leakhunt_gc_collected_objects",
            "Objects the garbage collector freed.",
            value=sum(int(st.get("collected", 0)) for st in stats),
        )
        yield CounterMetricFamily(
            "leakhunt_gc_uncollectable_objects",
            "Objects the garbage collector found uncollectable.",
            value=sum(int(st.get("uncollectable", 0)) for st in stats),
        )
        types = self._type_counts()
        if types:
            g = GaugeMetricFamily(
                "leakhunt_type_objects",
                "Live objects of the most numerous types (the top N at the last count).",
                labels=["type"],
            )
            for name, n in types:
                g.add_metric([name], n)
            yield g
        with self._lock:
            spans = [(k, v[0], v[1], v[2]) for k, v in self._spans.items()]
        calls = CounterMetricFamily(
            "leakhunt_span_calls", "Calls of leakhunt.mark spans that ended.", labels=["label"]
        )
        kept = CounterMetricFamily(
            "leakhunt_span_kept_bytes",
            "Live heap left behind by a span's calls (exit minus entry, when positive).",
            labels=["label"],
        )
        released = CounterMetricFamily(
            "leakhunt_span_released_bytes",
            "Live heap a span's calls freed beyond what they allocated.",
            labels=["label"],
        )
        for label, n, k, r in spans:
            calls.add_metric([label], n)
            kept.add_metric([label], k)
            released.add_metric([label], r)
        yield calls
        yield kept
        yield released
        if self._last_snapshot is not None:
            yield GaugeMetricFamily(
                "leakhunt_last_snapshot_timestamp_seconds",
                "Wall-clock time of the last leakhunt snapshot.",
                value=self._last_snapshot,
            )


def start_metrics_server(
    port: int,
    *,
    addr: str = "127.0.0.1",
    top_types: int = 10,
    types_interval: float = 60.0,
    max_labels: int = 50,
) -> LeakhuntCollector:
    """Serve the metrics for Prometheus on ``addr:port`` (loopback unless
    told: heap figures are nobody else's business) from a daemon thread of
    prometheus_client, with a :class:`LeakhuntCollector` in its default
    registry. Raises OSError when the port cannot be bound."""
    from prometheus_client import start_http_server

    collector = LeakhuntCollector(
        top_types=top_types, types_interval=types_interval, max_labels=max_labels
    )
    try:
        start_http_server(port, addr=addr)
    except BaseException:
        collector.close()
        raise
    return collector
