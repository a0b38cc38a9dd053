"""tap: one event-driven ingestion pipeline per environment, with offline tooling."""
