"""The steps of a run as plain functions: inbox -> transforms -> schemas -> warehouse ->
outputs. Prefect flows (flows/) wrap them as tasks; tests and the CLI can call them
directly."""
