"""What crosses a wire between our services: one typed model per message, used by producer and consumer alike.

    events.py       the outbox event envelope and each topic's payload (applications.*, meeting.*)
    protection.py   asking the owner of protected identity which of some people are protected
    calculation.py  the calculation request and its explained result

A service imports contracts and values, never another service.
"""
