"""What a clerk waits for on the console (审核台), with the example round and with 1,000
submitted files.

    .venv/bin/python -m benchmarks.console [--files 1000] [--repeat 20]

For each warehouse: `huizong run` loads the inbox, `huizong user add` makes an office and
a department account, `huizong console` serves it in its own process, and an HTTP client
times every page (median and slowest of `--repeat`, after one warm-up) and an upload
from the POST to the verdict on the page (the result page asking for it as htmx does).
Prints numbers; never fails on time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.nightly import write_inbox
from benchmarks.perf import HUIZONG, project_env, say
from config import PROJECT_ROOT
from samples.example_inbox import corrected_example
from schemas.labels import DECISION_ZH

PASSWORD = "benchmark-password-123"
PAGES = {"office": ["/", "/departments/edu", "/issues", "/issues?department=edu"],
         "department": ["/departments/science", "/upload"]}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _login(client: httpx.Client, name: str) -> None:
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
    answer = client.post("/login", data={"username": name, "password": PASSWORD,
                                         "login_csrf": token.group(1), "next": "/"})
    assert answer.status_code == 303, answer.text


def _page_times(client: httpx.Client, path: str, repeat: int) -> list[float]:
    client.get(path)  # warm-up: templates compiled, connections open
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, (path, answer.status_code)
    return times


def _upload_time(client: httpx.Client, value: int) -> float:
    page = client.get("/upload").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = corrected_example("科技局填报表.xlsx", "I5", value)
    started = time.perf_counter()
    answer = client.post("/upload", data={"csrf_token": csrf},
                         files={"workbook": ("科技局更正.xlsx", data)})
    location = answer.headers["location"]
    while "正在读取和校验" in client.get(location + "/verdict",
                                        headers={"HX-Request": "true"}).text:
        time.sleep(0.05)  # the page itself asks every 0.25 s
    return time.perf_counter() - started


def _decision_time(client: httpx.Client, action: str, fields: dict[str, str]) -> float:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/upload").text).group(1)
    started = time.perf_counter()
    answer = client.post(f"/decisions/{action}", data={**fields, "csrf_token": csrf},
                         follow_redirects=True)
    elapsed = time.perf_counter() - started
    assert "未执行" not in answer.text, (action, answer.url)
    return elapsed


def _decisions(label: str, client: httpx.Client, env: dict[str, str]) -> None:
    for action, fields in (("return", {"department": "edu", "reason": "基准测试：退回"}),
                           ("lock", {"reason": "基准测试：定稿"}),
                           ("unlock", {"reason": "基准测试：解除"})):
        say(f"{label}：审核台“{DECISION_ZH[action]}”→ 页面显示结果",
            f"{_decision_time(client, action, fields):.2f} s", "含汇总表和报告重新生成")
    started = time.perf_counter()
    subprocess.run([HUIZONG, "review", "approve", "-d", "科技局"], env=env, check=True,
                   capture_output=True)
    say(f"{label}：huizong review approve（整条命令）", f"{time.perf_counter() - started:.2f} s",
        "冷启动，含汇总表和报告重新生成")


def measure(label: str, inbox: Path, repeat: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="huizong-console-bench-"))
    try:
        shutil.copytree(inbox, root / "inbox")
        env = project_env(root)
        subprocess.run([HUIZONG, "run"], env=env, check=True, capture_output=True)
        for name, role in (("wumin", ["--role", "office"]),
                           ("kjj", ["--role", "department", "--department", "科技局"])):
            subprocess.run([HUIZONG, "user", "add", name, *role, "--password-stdin"],
                           input=PASSWORD + "\n", text=True, env=env, check=True,
                           capture_output=True)
        port = _free_port()
        server = subprocess.Popen([HUIZONG, "console", "--port", str(port)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    httpx.get(base + "/login", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            for role, name in (("office", "wumin"), ("department", "kjj")):
                with httpx.Client(base_url=base, timeout=60) as client:
                    _login(client, name)
                    for path in PAGES[role]:
                        times = _page_times(client, path, repeat)
                        say(f"{label}：{path}（{role}）",
                            f"{statistics.median(times) * 1000:.0f} ms",
                            f"最慢 {max(times) * 1000:.0f} ms")
                    if role == "department":
                        uploads = [_upload_time(client, 22 + n) for n in range(3)]
                        say(f"{label}：上传 → 页面显示结果", f"{statistics.median(uploads):.2f} s",
                            f"3 次：{'、'.join(f'{u:.2f}' for u in uploads)} 秒")
            with httpx.Client(base_url=base, timeout=120) as client:
                _login(client, "wumin")
                _decisions(label, client, env)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    arguments = parser.parse_args()
    measure("示例数据", PROJECT_ROOT / "inbox", arguments.repeat)
    with tempfile.TemporaryDirectory() as folder:
        generated = Path(folder) / "inbox"
        write_inbox(generated, arguments.files)
        measure(f"{arguments.files} 份报送", generated, arguments.repeat)


if __name__ == "__main__":
    main()
