"""A rich progress bar on stderr while it is a terminal; silent otherwise (pipes, CI, --json > file)."""

from __future__ import annotations

import sys
import threading


class Progress:
    """`with Progress("checking accounts") as p: p.start(total); ... p.advance()`; counts either way."""

    def __init__(self, label: str):
        self.label = label
        self.bar = self.task = None
        self.done, self.total = 0, None
        self._lock = threading.Lock()  # runs call back from their worker threads

    def __enter__(self) -> Progress:
        return self

    def start(self, total: int) -> None:
        self.total = total
        if not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=Console(stderr=True), transient=True)
        self.bar.start()
        self.task = self.bar.add_task(self.label, total=total)

    def advance(self, *_done) -> None:
        """One more item done (any arguments, so it can be any run's per-item callback)."""
        with self._lock:
            self.done += 1
        if self.bar:
            self.bar.advance(self.task)

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.stop()
