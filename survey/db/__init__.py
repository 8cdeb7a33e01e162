"""Database layer: connection pool, embedded PostgreSQL and migrations."""
