"""Orchestration: the `huizong` CLI (and, as later stages land, the Prefect flows)."""
