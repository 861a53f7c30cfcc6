"""The circuit breaker on its own, with a clock moved by hand."""

from __future__ import annotations

from services.registers.integration.breaker import BreakerState, CircuitBreaker
from tests.registers.conftest import StepClock


def test_consecutive_failures_open_it_and_a_success_in_between_resets_the_count():
    clock = StepClock()
    breaker = CircuitBreaker(3, 10, clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.failure()
    breaker.success()
    for _ in range(2):
        breaker.failure()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()


def test_half_open_lets_one_trial_through():
    clock = StepClock()
    breaker = CircuitBreaker(1, 10, clock)
    breaker.failure()
    clock.advance(9.9)
    assert not breaker.allow()
    clock.advance(0.1)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.release()  # the trial ended without a verdict: the next one may go
    assert breaker.allow()
    breaker.failure()
    assert breaker.state is BreakerState.OPEN
    clock.advance(10)
    assert breaker.allow()
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow() and breaker.allow()
