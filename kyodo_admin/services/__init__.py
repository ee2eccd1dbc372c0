"""Use cases. A service takes explicit arguments, raises domain errors and flushes;
the caller commits."""
