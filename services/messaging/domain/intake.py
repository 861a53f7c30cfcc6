"""Which service may post which event, and when an event may say it happened: pure rules for POST /events.

A topic is bound to the services that own it (``application.*`` from applications, ``meeting.*`` from
meetings): a meetings credential must not rewrite a case's household. ``occurred_at`` orders case events (a
later one wins), so a time far in the future would freeze the case against every real update: it may run
ahead of our clock by a small skew only, and an absurdly old one is refused too.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class TopicRule:
    prefix: str  # "application." (written "application.*"), or an exact topic
    sender: str  # the client_id of the service token
    exact: bool = False

    def matches(self, topic: str) -> bool:
        return topic == self.prefix if self.exact else topic.startswith(self.prefix)


@functools.lru_cache(maxsize=16)
def parse_topic_senders(spec: str) -> tuple[TopicRule, ...]:
    """``"application.*=applications, meeting.*=meetings"``: each pair lets one sender post matching topics
    (repeat a pattern for more senders). Raises ValueError on a malformed pair. (Kept per spec: every event asks,
    and the rules are immutable.)"""
    rules = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        pattern, sep, sender = (s.strip() for s in item.partition("="))
        if not sep or not pattern or not sender or "*" in pattern[:-1]:
            raise ValueError(f"topic sender rule {item!r}: write topic.*=client_id or topic=client_id")
        if pattern.endswith("*"):
            rules.append(TopicRule(pattern[:-1], sender))
        else:
            rules.append(TopicRule(pattern, sender, exact=True))
    return tuple(rules)


def senders(rules: tuple[TopicRule, ...]) -> frozenset[str]:
    return frozenset(r.sender for r in rules)


def may_post(rules: tuple[TopicRule, ...], sender: str | None, topic: str) -> bool:
    """Only a sender bound to a pattern the topic matches; a topic no rule names is nobody's to post."""
    return sender is not None and any(r.sender == sender and r.matches(topic) for r in rules)


def occurred_at_problem(occurred_at: dt.datetime, now: dt.datetime, *, max_ahead: dt.timedelta,
                        max_age: dt.timedelta) -> str | None:
    """Why ``occurred_at`` is not believable, or None when it is."""
    if occurred_at > now + max_ahead:
        return f"occurred_at may be at most {int(max_ahead.total_seconds())} seconds ahead of our clock."
    if occurred_at < now - max_age:
        return f"occurred_at may be at most {max_age.days} days old."
    return None
