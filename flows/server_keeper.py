"""`python -m flows.server_keeper`: run a local Prefect server in the background for the
commands of this project, until it has not been used for HUIZONG_SERVER_IDLE_MINUTES or
is asked to stop (SIGTERM, `huizong stop-server`). Started by `flows.server_state`."""

from __future__ import annotations

import logging

from config import get_settings
from flows.deployments import local_server, stop_signals
from flows.server_state import announce, idle_seconds, read_state, withdraw

CHECK_EVERY_SECONDS = 15
log = logging.getLogger("huizong.server_keeper")


def keep() -> None:
    idle_limit = get_settings().server_idle_minutes * 60
    with stop_signals() as stop, local_server() as server:
        announce(server.url, "keeper")
        log.info("后台 Prefect 服务已启动：%s", server.url)
        try:
            while not stop.wait(min(CHECK_EVERY_SECONDS, idle_limit / 2)):
                state = read_state()
                if state is None or state.url != server.url:
                    break  # replaced (`serve` started its own) or removed by hand
                if idle_seconds() > idle_limit or not server.alive():
                    break
        finally:
            withdraw()
    log.info("后台 Prefect 服务已停止")


if __name__ == "__main__":
    keep()
