"""Concurrent assessment requests are scored together: one vectorized pass per batch.

The engine scores 200,000 firms a second in a frame but pays a fixed cost per call; a single
firm per call wastes most of it. Requests queue here; at most ``limiter`` batches run at once
(scoring is CPU-bound Python), and each takes every waiting request with the same options, so
under load batches form by themselves while a lone request is scored at once. Every firm gets
exactly what ``scoring.assess`` would give it alone (tested).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import anyio
import anyio.to_thread

from scoring.api import assess_many
from scoring.models import Assessment
from scoring.options import Options

MAX_BATCH = 32


class AssessBatcher:
    def __init__(self, limiter: anyio.CapacityLimiter, max_batch: int = MAX_BATCH):
        self.limiter, self.max_batch = limiter, max_batch
        self.pending: list[tuple[tuple, Any, asyncio.Future]] = []
        self.draining = 0
        self.tasks: set[asyncio.Task] = set()
        self.largest = 0  # the largest batch scored so far (observability, tests)

    async def assess(self, firm: Any, options: Options | None = None) -> Assessment:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((options or Options(), firm, future))
        if self.draining < self.limiter.total_tokens:
            self.draining += 1
            task = asyncio.create_task(self._drain())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        result = await future
        if isinstance(result, Exception):
            raise result
        return result

    async def _drain(self) -> None:
        try:
            while self.pending:
                key = self.pending[0][0]
                batch = [p for p in self.pending if p[0] == key][: self.max_batch]
                taken = {id(p) for p in batch}
                self.pending = [p for p in self.pending if id(p) not in taken]
                self.largest = max(self.largest, len(batch))
                try:
                    results = await anyio.to_thread.run_sync(
                        partial(assess_many, [p[1] for p in batch], key),
                        limiter=self.limiter,
                    )
                except Exception as exc:  # a bug: every request of the batch hears of it
                    results = [exc] * len(batch)
                for (_, _, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self.draining -= 1
