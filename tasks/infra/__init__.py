"""Infrastructure: engine and session, set-up, migrations, bulk writes, retry, errors, access, events, outbox."""
