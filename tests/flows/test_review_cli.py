"""`huizong review …` as an operator types it: each decision says in one line what it did,
a refusal is one red line and exit code 2, `status` and `report` respect a signed round."""

from typer.testing import CliRunner

from flows.cli import app


def _huizong(*args: str):
    return CliRunner().invoke(app, list(args))


def test_the_office_decides_from_the_command_line(example_inbox):
    assert _huizong("run").exit_code == 0
    waiting = _huizong("review", "list")
    assert waiting.exit_code == 0
    assert "批准逮捕侵害未成年人犯罪人数 2023年（填报 10" in waiting.output

    bad = _huizong("review", "set", "-d", "检察院", "--indicator", "未成年人法治课次数",
                   "--year", "2024", "--value", "很多", "--reason", "电话核实")
    assert bad.exit_code == 2 and "“很多”不是一个数值" in bad.output
    no_reason = _huizong("review", "reject", "-d", "检察院", "--indicator", "未成年人法治课次数",
                         "--year", "2024", "--reason", " ")
    assert no_reason.exit_code == 2 and "每个决定都要写明理由" in no_reason.output
    entered = _huizong("review", "set", "-d", "检察院", "--indicator", "未成年人法治课次数",
                       "--year", "2024", "--value", "270", "--reason", "电话核实，王科长")
    assert entered.exit_code == 0, entered.output
    assert "已录入 未成年人法治课次数 2024年的数值 270（原为 269）（理由：电话核实，王科长）；" \
           "汇总表和报告已更新。" in entered.output

    signed = _huizong("review", "lock", "--reason", "报市委审定稿")
    assert signed.exit_code == 0 and "已定稿：定稿版本保存在 outputs/定稿/" in signed.output
    status = _huizong("status")
    assert "本轮已于" in status.output and "定稿后没有变化" in status.output
    refused = _huizong("report")
    assert refused.exit_code == 2 and "本轮已定稿" in refused.output
    while_signed = _huizong("review", "accept", "-d", "检察院", "--indicator",
                            "批准逮捕侵害未成年人犯罪人数", "--year", "2023",
                            "--reason", "一案多人")
    assert while_signed.exit_code == 0
    assert "本轮已定稿，汇总表和报告保持定稿版本" in while_signed.output
    assert _huizong("review", "unlock", "--reason", "市领导要求修改").exit_code == 0

    history = _huizong("review", "history", "-d", "检察院")
    assert history.exit_code == 0 and "共 2 项。" in history.output
    everything = _huizong("review", "history")
    assert "共 4 项。" in everything.output  # set, lock, accept, unlock
