from monoboard.testing.fixtures import pg_empty_database, pg_server

__all__ = ["pg_empty_database", "pg_server"]
