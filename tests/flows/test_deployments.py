"""The deployments that `huizong serve` and `huizong deploy` register, loaded for real."""

from flows.deployments import local_deployments


def test_nightly_at_two_in_beijing_and_one_run_at_a_time():
    deployments = {d.name: d for d in local_deployments()}
    assert set(deployments) == {"nightly", "inbox", "rerun", "mail", "mailbox"}
    [schedule] = deployments["nightly"].schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Asia/Shanghai")
    assert deployments["nightly"].parameters == {"trigger": "schedule"}
    for deployment in deployments.values():
        assert deployment.concurrency_limit == 1
    rerun = deployments["rerun"]._parameter_openapi_schema  # what the UI form shows
    assert set(rerun.properties) == {"department", "years", "file", "reprocess"}
    assert rerun.required == ["department"]


def test_mail_is_delivered_every_few_minutes(monkeypatch):
    from config import get_settings

    monkeypatch.setenv("HUIZONG_MAIL_EVERY_MINUTES", "3")
    get_settings.cache_clear()
    try:
        [schedule] = {d.name: d for d in local_deployments()}["mail"].schedules
        assert schedule.schedule.interval.total_seconds() == 180
    finally:
        get_settings.cache_clear()


def test_files_whose_run_could_not_start_are_offered_again(project):
    import threading

    from flows.deployments import watch_inbox

    (project.inbox_dir / "教育局.xlsx").write_bytes(b"x")
    offered, stop = [], threading.Event()

    def on_files(files):
        offered.append(files)
        if len(offered) == 1:
            raise ConnectionError("数据仓库暂时连不上")
        stop.set()

    watch_inbox(on_files, 0.05, stop)
    assert offered == [["教育局.xlsx"], ["教育局.xlsx"]]
