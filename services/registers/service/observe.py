"""What ops watch: how each register answers (a source turning unavailable, a circuit open) and how often the
protection cache saves a trip to the population register. Counters only; no person, no case."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter

from services.registers.domain.audit import Outcome


class Observed:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.answers = Counter("register_answers_total", "Answers of the registers by source, status and code",
                               ["source", "status", "error"], registry=registry)
        self.protection = Counter("protection_checks_total", "People checked for protection, by where the answer "
                                  "came from", ["answered_by"], registry=registry)

    def answered(self, outcomes: Iterable[Outcome]) -> None:
        for o in outcomes:
            self.answers.labels(o.source, o.status.value, o.error or "").inc()

    def protection_checked(self, cached: int, asked: int) -> None:
        if cached:
            self.protection.labels("cache").inc(cached)
        if asked:
            self.protection.labels("register").inc(asked)
