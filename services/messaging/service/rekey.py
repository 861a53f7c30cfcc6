"""``python -m services.messaging.service.rekey``: re-seal everything under the current (first) key.

Run it after putting a new key first in MESSAGING_ENCRYPTION_KEYS (and rolling the service out with it).
It works in small committed batches (SKIP LOCKED, so replicas keep running); when it reports 0 left, the old
key can be removed from the settings.
"""

from __future__ import annotations

import asyncio

from kit.db import make_engine, make_sessionmaker
from services.messaging.settings import MessagingSettings
from services.messaging.store.crypto import Keyring
from services.messaging.store.rekey import rekey_batch


async def rekey_all(settings: MessagingSettings, batch: int = 200) -> int:
    keyring = Keyring.parse(settings.encryption_keys)
    engine = make_engine(settings.resolved_database_url(), settings)
    total = 0
    try:
        sessions = make_sessionmaker(engine)
        while True:
            async with sessions() as session:
                done = await rekey_batch(session, keyring, batch)
                await session.commit()
            total += done
            if not done:
                return total
    finally:
        await engine.dispose()


def main() -> None:
    settings = MessagingSettings()
    total = asyncio.run(rekey_all(settings))
    print(f"messaging: {total} rows re-sealed under key {Keyring.parse(settings.encryption_keys).current_kid!r}; "
          "0 left under older keys")


if __name__ == "__main__":
    main()
