"""Use cases of the applications service, one module per aggregate: what happens on each request.

Each function takes the session first, checks with the domain, writes through the store and commits: a change,
its history row, its audit entry and its outbox event commit together or not at all.
"""
