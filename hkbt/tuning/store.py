"""The sweep's memory: one JSON line per finished combination, so an interrupted sweep resumes.

``backtests/sweeps/<name>/combos.jsonl`` is appended to as results arrive (flushed and
synced per line). A line records a combination's values, whether it ran, its
``metrics.json`` figures and its daily value curve; a second kind of line records the
sessions (and the benchmark curve) of each distinct set of shared inputs. Run the same
sweep again and every combination whose *cache key* is already there is not run again.

The cache key covers everything that decides a combination's numbers: its whole resolved
config (but not the run name, which only labels it), the data hash of its news and
prices, and the hkbt version. Change any of those and the combination runs afresh. A
line cut short by a crash is ignored; a combination that failed is tried again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hkbt import __version__
from hkbt.files import disk_error

STORE_FILE = "combos.jsonl"


def cache_key(resolved: dict[str, Any], data_hash: str) -> str:
    """sha256 of a combination's resolved config without ``run.name``, its data hash and the hkbt version."""
    settings = {**resolved, "run": {k: v for k, v in resolved["run"].items() if k != "name"}}
    blob = json.dumps({"config": settings, "data": data_hash, "hkbt": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def encode_curve(values: np.ndarray) -> str:
    return base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")


def decode_curve(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f8").copy()


@dataclass
class Outcome:
    """What running one combination gave: its figures and value curve, or the error that stopped it."""

    key: str
    combo_id: str
    combo: dict[str, Any]
    status: str  # "ok" | "failed"
    inputs_key: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    values: np.ndarray | None = None
    error: str = ""
    seconds: float = 0.0

    def line(self) -> dict[str, Any]:
        return {"kind": "combo", "key": self.key, "combo_id": self.combo_id, "combo": self.combo, "status": self.status,
                "inputs": self.inputs_key, "metrics": self.metrics, "error": self.error, "seconds": round(self.seconds, 4),
                "values": encode_curve(self.values) if self.values is not None else None}

    @classmethod
    def from_line(cls, blob: dict[str, Any]) -> Outcome:
        values = decode_curve(blob["values"]) if blob.get("values") else None
        return cls(blob["key"], blob["combo_id"], blob["combo"], blob["status"], blob.get("inputs", ""), blob.get("metrics") or {},
                   values, blob.get("error", ""), float(blob.get("seconds", 0.0)))


@dataclass
class Calendar:
    """The sessions and benchmark curve shared by every combination built on one set of inputs."""

    inputs_key: str
    sessions: list[str]
    benchmark: np.ndarray


class ResultStore:
    """Reads and appends ``combos.jsonl``; only the sweep command that holds the folder's lock writes it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.outcomes: dict[str, Outcome] = {}
        self.calendars: dict[str, Calendar] = {}
        if self.path.is_file():
            self._read()
            self._end_line()

    def _read(self) -> None:
        with self.path.open(encoding="utf-8") as stream:
            for line in stream:
                try:
                    blob = json.loads(line)
                    if blob.get("kind") == "combo":
                        outcome = Outcome.from_line(blob)
                        self.outcomes[outcome.key] = outcome
                    elif blob.get("kind") == "calendar":
                        self.calendars[blob["inputs"]] = Calendar(blob["inputs"], blob["sessions"], decode_curve(blob["benchmark"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash, or not ours: that combination simply runs again

    def _end_line(self) -> None:
        """After a crash the last line may be cut short: start the next record on a line of its own."""
        try:
            with self.path.open("rb") as stream:
                stream.seek(0, os.SEEK_END)
                if stream.tell() == 0:
                    return
                stream.seek(-1, os.SEEK_END)
                ends = stream.read(1) == b"\n"
            if not ends:
                with self.path.open("a", encoding="utf-8") as stream:
                    stream.write("\n")
        except OSError as exc:
            raise disk_error(self.path, exc) from None

    def done(self, key: str) -> Outcome | None:
        """The stored outcome of ``key`` if it ran successfully (a failure is tried again)."""
        outcome = self.outcomes.get(key)
        return outcome if outcome is not None and outcome.status == "ok" else None

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome.key] = outcome
        self._append(outcome.line())

    def add_calendar(self, calendar: Calendar) -> None:
        if calendar.inputs_key in self.calendars:
            return
        self.calendars[calendar.inputs_key] = calendar
        self._append({"kind": "calendar", "inputs": calendar.inputs_key, "sessions": calendar.sessions,
                      "benchmark": encode_curve(calendar.benchmark)})

    def _append(self, blob: dict[str, Any]) -> None:
        try:
            with self.path.open("a", encoding="utf-8") as stream:
                stream.write(json.dumps(blob, default=str, allow_nan=True) + "\n")
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:
            raise disk_error(self.path, exc) from None
