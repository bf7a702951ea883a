"""Orchestration: the Prefect flows, their deployments, and the `huizong` CLI.

Prefect's local defaults and our logging are set up here, before any module imports
Prefect.
"""

from pydantic import ValidationError

from flows import logs, prefect_env

try:
    prefect_env.apply()
    logs.configure()
except ValidationError:
    pass  # a bad setting: the command says which, in one line, before Prefect is used
