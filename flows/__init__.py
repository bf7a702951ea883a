"""Orchestration: the Prefect flows, their deployments, and the `huizong` CLI.

Prefect's local defaults are applied here, before any module imports Prefect.
"""

from flows import prefect_env

prefect_env.apply()
