"""Racing two (or more) calls against each other on PostgreSQL, trial after trial, for the
race tests (`test_*_races_pg.py`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections

# A racer that never finishes fails the trial after this many seconds instead of hanging.
WAIT = 60


class Racers:
    """Threads that start together on each call and keep their database connections from
    one trial to the next (a new connection per trial would take most of the run). A call
    gives what each target returned or raised, in order: an exception is kept, so one that
    is no DomainError (an IntegrityError, a deadlock) fails the caller's assertions by name."""

    def __init__(self, count: int) -> None:
        self.start = threading.Barrier(count + 1)
        # A racer that never finishes fails the trial after WAIT instead of hanging the run.
        self.done = threading.Barrier(count + 1, timeout=WAIT)
        self.targets: list[Callable[[], object] | None] = [None] * count
        self.outcomes: list[object] = [None] * count
        self.threads = [
            threading.Thread(target=self._serve, args=(n,), daemon=True) for n in range(count)
        ]
        for thread in self.threads:
            thread.start()

    def _serve(self, index: int) -> None:
        try:
            while True:
                self.start.wait()
                target = self.targets[index]
                if target is None:
                    return
                try:
                    self.outcomes[index] = target()
                except BaseException as error:
                    self.outcomes[index] = error
                self.done.wait()
        finally:
            connections.close_all()

    def __call__(self, *targets: Callable[[], object]) -> list[object]:
        self.targets[:] = targets
        self.start.wait()
        self.done.wait()
        return list(self.outcomes)

    def close(self) -> None:
        self.targets[:] = [None] * len(self.targets)
        if not self.done.broken:  # else the racers have left already (or are stuck)
            self.start.wait()
        for thread in self.threads:
            thread.join(timeout=WAIT)
