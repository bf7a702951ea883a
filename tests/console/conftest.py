"""One example round for the console tests: the example inbox run once, three accounts,
and the real application with its real upload worker (the `upload` flow on this
session's Prefect test server)."""

import re
import shutil
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from config import PROJECT_ROOT, Settings
from console.app import create_app
from console.worker import UploadWorker
from flows.console_server import upload_worker
from flows.runs import nightly, open_warehouse
from tests.flows.conftest import prefect_server, project_at  # noqa: F401
from warehouse.accounts import add_user
from warehouse.store import Warehouse

PASSWORDS = {"wumin": "联席办的密码2026", "jyj": "教育局的密码2026", "kjj": "科技局的密码2026"}


@dataclass
class Round:
    settings: Settings
    warehouse: Warehouse
    app: object
    worker: UploadWorker


@pytest.fixture(scope="package")  # its settings hold only while this folder's tests run
def example_round(tmp_path_factory, prefect_server):  # noqa: F811
    with project_at(tmp_path_factory.mktemp("console")) as settings:
        shutil.copytree(PROJECT_ROOT / "inbox", settings.inbox_dir)
        nightly("manual")
        warehouse = open_warehouse(settings)
        with warehouse.begin() as session:
            add_user(session, "wumin", "office", None, PASSWORDS["wumin"])
            add_user(session, "jyj", "department", "edu", PASSWORDS["jyj"])
            add_user(session, "kjj", "department", "science", PASSWORDS["kjj"])
        worker = upload_worker(warehouse)
        worker.start()
        yield Round(settings, warehouse, create_app(settings, warehouse, worker), worker)
        worker.stop()


def login(client: TestClient, name: str, password: str | None = None):
    page = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": name, "password": password or PASSWORDS[name],
                                       "login_csrf": token, "next": "/"},
                       follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    page = client.get("/upload")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def client(example_round):
    with TestClient(example_round.app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def office(client):
    assert login(client, "wumin").status_code == 303
    return client


@pytest.fixture
def education(client):
    assert login(client, "jyj").status_code == 303
    return client


@pytest.fixture
def science(client):
    assert login(client, "kjj").status_code == 303
    return client
