"""Request, database and process metrics: Prometheus exposition plus rollups."""
