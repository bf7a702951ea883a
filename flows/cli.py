"""The `huizong` command line: a thin layer over the stage packages."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from config import get_settings
from flows import logs
from flows.cli_review import review_app
from flows.cli_round import round_app
from flows.cli_user import user_app
from flows.cli_zh import ChineseCommand, ChineseGroup

if TYPE_CHECKING:
    from flows.runs import MailboxResult
    from pipeline.summary import RunSummary
    from pipeline.trial import TrialFile
    from warehouse.store import Warehouse

# Every other import happens inside the command that needs it: `huizong --help` and the
# commands that only look at the warehouse must not pay for pandas, Prefect or matplotlib.


class HuizongGroup(ChineseGroup):
    """Every command fails the same way: one Chinese line, exit code 2 for what the
    operator can fix, 1 for a defect of ours (its traceback goes to the log)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (typer.Exit, click.exceptions.Exit, click.ClickException, click.Abort,
                KeyboardInterrupt):
            raise
        except Exception as error:
            raise typer.Exit(_say_failure(error)) from None


def _say_failure(error: Exception) -> int:
    """The one line for a command that cannot go on, and its exit code."""
    from flows.cli_errors import explain, internal_error_line

    fixable = explain(error)
    line = str(fixable) if fixable is not None else internal_error_line(error)
    console.print(f"[red]{escape(line)}[/red]", highlight=False)
    return 2 if fixable is not None else 1


app = typer.Typer(
    name="huizong",
    cls=HuizongGroup,
    help="青年发展数据汇总：收集、校验各责任单位报送的年度指标，生成汇总表与报告。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console(soft_wrap=True)  # a terminal wraps; a log or a pipe gets whole lines
app.add_typer(user_app, name="user")
app.add_typer(review_app, name="review")
app.add_typer(round_app, name="round")

OutOption = Annotated[
    Path | None, typer.Option("--out", help="输出目录（默认：项目下 outputs/templates）")
]


@app.command("init", cls=ChineseCommand)
def init_command(
    copy_catalogue: Annotated[bool, typer.Option(
        "--copy-catalogue", help="把随程序提供的示例目录（指标、单位、轮次、报告模板）复制到 "
        "HUIZONG_CATALOGUE_DIR，供联席办修改（已有的文件不会被覆盖）")] = False,
) -> None:
    """初始化：创建目录，建立或升级数据仓库（数据库结构、指标目录、单位名录、报送轮次）。"""
    from report.figures import template_problems
    from schemas.office_files import SHIPPED, copy_shipped, office_file
    from warehouse.store import Warehouse

    settings = get_settings()
    settings.ensure_dirs()
    if copy_catalogue:
        if settings.catalogue_dir is None:
            console.print("[red]请先设置 HUIZONG_CATALOGUE_DIR（联席办自己的目录文件夹），"
                          "再运行 huizong init --copy-catalogue。[/red]")
            raise typer.Exit(2)
        written = copy_shipped(settings.catalogue_dir)
        console.print(f"目录文件夹 {settings.catalogue_dir}："
                      + (f"已写入 {'、'.join(written)}" if written else "文件都已存在，未覆盖"))
    warehouse = Warehouse(settings.warehouse_url)
    warehouse.init()
    console.print(f"已就绪：收件箱 {settings.inbox_dir}，运行数据 {settings.var_dir}，"
                  f"输出 {settings.outputs_dir}，发件箱 {settings.outbox_dir}")
    console.print(f"数据仓库：{_safe_url(settings.warehouse_url)}（已升级到最新结构）")
    sources = "、".join(f"{name}（{'示例' if office_file(name) == SHIPPED[name] else '联席办'}）"
                        for name in SHIPPED)
    console.print(f"目录：{len(warehouse.catalogue.indicators)} 项指标、"
                  f"{len(warehouse.registry.submitting)} 个责任单位；{sources}")
    round_ = warehouse.round
    console.print(f"当前轮次：{round_.name}（{round_.first_year}—{round_.last_year}年，"
                  f"截止 {round_.deadline.isoformat()}）")
    for line in template_problems(warehouse.catalogue):
        console.print(f"[yellow]{escape(line)}[/yellow]", highlight=False)


def _safe_url(url: str) -> str:
    """The warehouse address without its password, for the console."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("templates", cls=ChineseCommand)
def templates_command(out: OutOption = None) -> None:
    """为每个责任单位生成本轮填报表（.xlsx，含填报说明、数据有效性和工作表保护）；往年已采用的
    数值预先填好（灰色）。"""
    from pipeline.rounds import write_templates

    target = out or get_settings().outputs_dir / "templates"
    warehouse = _open_warehouse()
    departments = warehouse.registry.submitting
    for department, path, carried in write_templates(warehouse, target, departments):
        indicators = len(warehouse.catalogue.owned_by(department.code))
        filled = f"，已预填往年数值 {carried} 个" if carried else ""
        console.print(f"  {department.name}：{indicators} 项指标{filled} → {path.name}")
    console.print(f"已生成 {len(departments)} 份填报表，保存在 {target}")




@app.command("check", cls=ChineseCommand)
def check_command(
    target: Annotated[Path | None, typer.Argument(
        help="要检查的文件或文件夹（默认：收件箱 inbox/）")] = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="同时列出每个读取到的数值")] = False,
) -> None:
    """试读并校验文件：显示识别出的单位、读到的数值和全部问题（不入库、不发邮件）。

    退出码：没有错误为 0；发现错误为 1；文件或文件夹不存在为 2。
    """
    from pipeline.trial import try_files
    from schemas.departments import get_registry
    from schemas.issue import SEVERITY_ORDER
    from schemas.labels import SEVERITY_ZH
    from transforms.inbox import InboxFile, folder_of, scan_inbox

    settings = get_settings()
    target = target or settings.inbox_dir
    if not target.exists() and not target.is_symlink():
        console.print(f"[red]找不到 {escape(str(target))}，请检查路径。[/red]")
        raise typer.Exit(2)
    # A file is attributed by the folder it sits in, as a run would.
    files = ([InboxFile(target, folder_of(target, settings.inbox_dir))] if not target.is_dir()
             else [dataclasses.replace(f, folder=f.folder or folder_of(f.path, settings.inbox_dir))
                   for f in scan_inbox(target)])
    if not files:
        console.print(f"{target} 中没有待读取的文件。")
        return
    with console.status("正在读取和校验……"):
        trials = try_files(files, settings)
    registry = get_registry()
    summary = Table(title="读取与校验结果")
    for column in ("文件", "单位", "格式", "已填数值", "错误", "提醒", "说明"):
        summary.add_column(column)
    for trial in trials:
        issues = sorted(trial.issues, key=lambda i: SEVERITY_ORDER[i.severity])
        counts = {s: sum(1 for i in issues if i.severity == s) for s in SEVERITY_ZH}
        result = trial.result
        if result is None:
            summary.add_row(trial.item.display_name, "—", "—", "—", "—", "—", "—")
            continue
        filled = sum(1 for o in result.observations if o.raw_value)
        department = registry.get(result.department).name if result.department else "未识别"
        summary.add_row(trial.item.display_name, department, result.file_format or "—",
                        f"{filled}/{len(result.observations)}", str(counts["error"]),
                        str(counts["warning"]), str(counts["info"]))
    console.print(summary)
    for trial in trials:
        _print_details(trial, verbose)
    if any(trial.problem or any(i.severity == "error" for i in trial.issues)
           for trial in trials):
        raise typer.Exit(1)


def _print_details(trial: TrialFile, verbose: bool) -> None:
    from schemas.catalogue import get_catalogue
    from schemas.issue import SEVERITY_ORDER
    from schemas.labels import SEVERITY_ZH

    issues = sorted(trial.issues, key=lambda i: SEVERITY_ORDER[i.severity])
    if issues or verbose or trial.problem:
        console.print(f"\n[bold]{escape(trial.item.display_name)}[/bold]")
    if trial.problem:
        console.print(escape(f"  [未读取] {trial.problem}"), highlight=False)
    for issue in issues:
        console.print(escape(f"  [{SEVERITY_ZH[issue.severity]}] {issue.message_zh}"),
                      highlight=False)
    if verbose and trial.result is not None:
        catalogue = get_catalogue()
        for observation in trial.result.observations:
            name = catalogue.indicator(observation.indicator_code).name
            console.print(escape(
                f"  {observation.sheet}!{observation.cell} {name} {observation.year}年："
                f"{observation.raw_value or '（空）'} → {observation.value}"), highlight=False)


# ── runs ──────────────────────────────────────────────────────────────────────
InboxOption = Annotated[Path | None, typer.Option("--inbox", help="收件箱目录（默认 inbox/）")]
WarehouseOption = Annotated[str | None, typer.Option(
    "--warehouse", help="数据仓库地址（默认 var/huizong.db；生产用 postgresql+psycopg://…）")]
RunOutOption = Annotated[Path | None, typer.Option("--out", help="输出目录（默认 outputs/）")]
INTERVAL_HELP = ("新文件由文件系统事件立即发现；另外每隔这么多秒完整检查一次收件箱"
                 "（网络共享盘上事件可能丢失）")
OutboxOption = Annotated[Path | None, typer.Option("--outbox", help="发件箱目录（默认 outbox/）")]
CONSOLE_HOST_HELP = "审核台监听的地址（0.0.0.0 表示允许局域网内其他电脑访问）"
ConsoleHost = Annotated[str, typer.Option("--host", help=CONSOLE_HOST_HELP)]
ConsolePort = Annotated[int, typer.Option("--port", help="审核台的端口")]
HttpsOnly = Annotated[bool, typer.Option(
    "--https-only", help="只通过 https 访问（在 https 反向代理之后使用），登录 Cookie 加 Secure")]


def _override(**values: object) -> None:
    """Command-line options win over the environment for this process and its runs. A
    path typed on the command line means what it means in the caller's folder, as with
    every command; an inbox named explicitly must exist (an empty run would mail every
    department a reminder)."""
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, Path):
            value = value.expanduser().absolute()
            if name == "inbox_dir" and not value.is_dir():
                console.print(f"[red]找不到收件箱 {escape(str(value))}，请检查路径。[/red]")
                raise typer.Exit(2)
        os.environ[f"HUIZONG_{name.upper()}"] = str(value)
    get_settings.cache_clear()


def _open_warehouse() -> Warehouse:
    """Reached and upgraded before any flow starts, so an unreachable database is one
    line, not a failed flow run."""
    from warehouse.store import Warehouse

    settings = get_settings()
    settings.ensure_dirs()
    warehouse = Warehouse(settings.warehouse_url)
    warehouse.init()
    for change in warehouse.reference_changes:
        console.print(escape(f"指标目录有变化：{change}。"), highlight=False)
    return warehouse


def _report(action: Callable[[], RunSummary | MailboxResult],
            doing: str = "正在汇总：读取收件箱、校验、入库、更新产出和报告、生成邮件……",
            quiet: Callable[[Warehouse], RunSummary | None] | None = None) -> None:
    """Run a flow — or first `quiet`, which answers a run with nothing new without one —
    then deliver its mail outside the run; a user's data problem is not a failure, a
    broken pipeline is. `action` imports Prefect itself, after the shared server's
    address is set."""
    warehouse = _open_warehouse()
    summary = quiet(warehouse) if quiet is not None else None
    if summary is None:
        from flows.prefect_env import without_heartbeats
        from flows.server_state import shared_server

        with shared_server(), console.status(doing), without_heartbeats():
            summary = action()
    for line in summary.lines_zh():
        console.print(escape(line), highlight=False)
    if summary.mails and get_settings().smtp_host:
        _deliver()
    if summary.nothing_processed:
        console.print("[red]本次收到的文件全部因程序内部错误未能处理，请查看日志并联系技术支持。[/red]")
        raise typer.Exit(1)


def _deliver() -> None:
    from flows.server_state import shared_server

    with shared_server():
        from flows.prefect_env import without_heartbeats
        from flows.runs import mail

        with console.status("正在投递邮件……"), without_heartbeats():
            delivery = mail()
    for line in delivery.lines_zh():
        console.print(escape(line), highlight=False)


@app.command("run", cls=ChineseCommand)
def run_command(inbox: InboxOption = None, warehouse: WarehouseOption = None,
                out: RunOutOption = None, outbox: OutboxOption = None) -> None:
    """立即运行一次完整汇总：读取收件箱、校验、入库，更新汇总表等产出。"""
    _override(inbox_dir=inbox, warehouse_url=warehouse, outputs_dir=out, outbox_dir=outbox)

    def run_nightly() -> RunSummary:
        from flows.runs import nightly

        return nightly("manual")

    def nothing_new(warehouse: Warehouse) -> RunSummary | None:
        from flows.quiet import quiet_run

        return quiet_run(warehouse, get_settings(), "manual")

    _report(run_nightly, quiet=nothing_new)


@app.command("rerun", cls=ChineseCommand)
def rerun_command(
    department: Annotated[str, typer.Option("--department", "-d",
                                            help="单位名称、简称或代码，如 教育局")],
    years: Annotated[list[int] | None, typer.Option(
        "--years", help="只处理这些年度，可重复")] = None,
    file: Annotated[str | None, typer.Option("--file", help="只处理收件箱中的这个文件名")] = None,
    reprocess: Annotated[bool, typer.Option(
        "--reprocess", help="重新读取该单位已归档的全部版本（指标目录或规则修改后使用）")] = False,
) -> None:
    """某单位改正后立即重跑（只处理该单位）；可重复运行，结果不变。"""
    _known_department(department)

    def run_rerun() -> RunSummary:
        from flows.runs import rerun

        return rerun(department, years, file, reprocess)

    _report(run_rerun)


@app.command("watch", cls=ChineseCommand)
def watch_command(interval: Annotated[float, typer.Option(
        "--interval", help=INTERVAL_HELP)] = 30) -> None:
    """监视收件箱：启动时先处理停机期间收到的文件，之后有新文件（且已复制完整）时立即处理。

    按 Ctrl+C 或发送 SIGTERM 停止（10 秒内退出）。
    """
    from flows.prefect_env import without_heartbeats
    from flows.server_state import shared_server

    logs.configure(logging.WARNING)  # a service's journal wants its warnings
    _open_warehouse()
    with shared_server(), without_heartbeats():
        _watch(interval)


def _watch(interval: float) -> None:
    from flows.deployments import STOP_CHECK_SECONDS, stop_signals, watch_inbox

    console.print(f"正在监视 {get_settings().inbox_dir}（新文件复制完成后立即处理），"
                  "按 Ctrl+C 停止。")
    with stop_signals() as stop:
        # Runs happen off the main thread, so a stop request is answered at once; a run
        # cut short is rolled back file by file and its lock taken over by the next run.
        watching = threading.Thread(target=watch_inbox, args=(_run_for_files, interval, stop),
                                    name="inbox-watcher", daemon=True)
        watching.start()
        while watching.is_alive() and not stop.wait(0.5):
            pass
        watching.join(timeout=2 * STOP_CHECK_SECONDS)  # idle, it ends within one step
    _stopped(watching.is_alive())


def _run_for_files(files: list[str]) -> None:
    """One run for files the watcher handed out; what stops it is said in one line and
    raised again, so the watcher offers the files once more."""
    def run_on_arrival() -> RunSummary:
        from flows.runs import on_arrival

        return on_arrival(files)

    try:
        _report(run_on_arrival)
    except typer.Exit:
        pass  # the run finished; its summary said what went wrong
    except Exception as error:
        _say_failure(error)
        raise


@app.command("serve", cls=ChineseCommand)
def serve_command(
    interval: Annotated[float, typer.Option("--interval", help=INTERVAL_HELP)] = 30,
    port: Annotated[int, typer.Option(
        "--port", help="Prefect 界面和接口的端口（已设置 PREFECT_API_URL 时不启动自己的服务）"
    )] = 4200,
    console_host: Annotated[str, typer.Option("--console-host", help=CONSOLE_HOST_HELP)
                            ] = "127.0.0.1",
    console_port: Annotated[int, typer.Option(
        "--console-port", help="审核台的端口；0 表示不启动审核台")] = 8100,
    https_only: HttpsOnly = False,
) -> None:
    """常驻运行：每晚 02:00 自动汇总、监视收件箱、定时投递邮件、审核台网页、Prefect 界面中手动重跑。

    启动时先处理停机期间收到的文件。按 Ctrl+C 或发送 SIGTERM 停止（10 秒内退出）。
    """
    from flows.console_server import start_console
    from flows.deployments import local_server, serve_everything, stop_signals
    from flows.prefect_env import without_heartbeats
    from flows.server_state import announce, stop_keeper, withdraw

    if https_only:
        _override(console_https_only="true")
    logs.configure(logging.WARNING)  # a service's journal wants its warnings
    warehouse = _open_warehouse()
    stop_keeper()  # one server per Prefect home: ours, with its UI on --port
    with stop_signals() as stop, local_server(port) as server, without_heartbeats():
        console.print(f"Prefect 界面：{server.url.removesuffix('/api')}  （按 Ctrl+C 停止）")
        if server.process is not None:
            announce(server.url, "serve")  # commands use this server meanwhile
        web = start_console(get_settings(), warehouse, console_host, console_port) \
            if console_port else None
        if web is not None:
            console.print(f"审核台：{web.url}")
            _no_account_hint(warehouse)
        elif console_port:
            console.print(f"[red]审核台未能启动（端口 {console_port} 可能已被占用），"
                          "其他服务照常运行；可用 --console-port 换一个端口。[/red]")
        try:
            abandoned = serve_everything(interval, stop, server)
        finally:
            if web is not None:
                web.stop()
            withdraw()
    _stopped(abandoned)


@app.command("console", cls=ChineseCommand)
def console_command(host: ConsoleHost = "127.0.0.1", port: ConsolePort = 8100,
                    https_only: HttpsOnly = False) -> None:
    """启动审核台（网页）：联席办查看各单位报送情况，各单位查看本单位数据、上传填报表。

    账号用 huizong user add 创建。按 Ctrl+C 停止。
    """
    from flows.console_server import console_url, serve_console
    from flows.server_state import shared_server

    if https_only:
        _override(console_https_only="true")
    logs.configure(logging.WARNING)
    warehouse = _open_warehouse()
    with shared_server():
        console.print(f"审核台：{console_url(host, port)}  （按 Ctrl+C 停止）")
        _no_account_hint(warehouse)
        serve_console(get_settings(), warehouse, host, port)
    console.print("已停止。")


def _no_account_hint(warehouse: Warehouse) -> None:
    from warehouse.accounts import list_users

    with warehouse.begin() as session:
        if not list_users(session):
            console.print("还没有账号：先运行 huizong user add 用户名 --role office "
                          "创建联席办账号。")


def _stopped(abandoned: bool) -> None:
    """A run still going in this process is ended with it rather than waited for: its
    files are rolled back and the next run takes its lock over at once."""
    if not abandoned:
        console.print("已停止。")
        return
    console.print("已停止；进行中的运行已中止，下次运行会自动接管。")
    sys.stdout.flush()
    os._exit(0)


@app.command("send-mail", cls=ChineseCommand)
def send_mail_command(retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="把多次重试仍失败的邮件重新排队（修好邮件设置后使用）")] = False,
) -> None:
    """立即投递待发送的邮件（serve 运行时每隔几分钟会自动投递）。"""
    from warehouse.alert_state import requeue_failed

    warehouse = _open_warehouse()
    if retry_failed:
        with warehouse.begin() as session:
            count = requeue_failed(session)
        console.print(f"已把 {count} 封发送失败的邮件重新排队。")
    if not get_settings().smtp_host:
        console.print("未配置邮件服务器（HUIZONG_SMTP_HOST），邮件只保存在发件箱 outbox/。")
        return
    _deliver()


@app.command("fetch-mail", cls=ChineseCommand)
def fetch_mail_command() -> None:
    """收取一次联席办邮箱：把各单位邮件中的填报表存入收件箱并立即校验，然后投递回复。

    serve 运行时会自动收取，无需手动执行。
    """
    if not get_settings().imap_host:
        console.print("未配置邮箱（HUIZONG_IMAP_HOST），不收取邮件；配置方法见 README“邮箱收件”。")
        return

    def run_mailbox() -> MailboxResult:
        from flows.runs import mailbox

        return mailbox()

    _report(run_mailbox, "正在收取邮箱，并校验收到的填报表……")


@app.command("stop-server", cls=ChineseCommand)
def stop_server_command() -> None:
    """停止命令在后台启动的 Prefect 服务（闲置 30 分钟后它也会自动停止；不影响 serve 的服务）。"""
    from flows.server_state import stop_keeper

    state = stop_keeper()
    if state is None:
        console.print("没有在后台运行的 Prefect 服务。")
    elif state.owner == "serve":
        console.print(f"Prefect 服务（{state.url}）由 huizong serve 运行，停止 serve 即可。")
    else:
        console.print(f"已停止后台 Prefect 服务（{state.url}）。")


@app.command("deploy", cls=ChineseCommand)
def deploy_command(pool: Annotated[str, typer.Option(
        "--pool", help="Prefect 工作池名称（process 类型）")] = "huizong") -> None:
    """把四个流程注册到 Prefect 服务器的工作池，由其他机器上的 worker 执行。

    需先设置 PREFECT_API_URL 指向共用的 Prefect 服务器。
    """
    from flows.deployments import deploy_to_pool

    ids = deploy_to_pool(pool)
    console.print(f"已在工作池“{pool}”注册 {len(ids)} 个部署：nightly、inbox、rerun、mail。")


def _known_department(text: str) -> str:
    """The department's code, or a clear message and exit code 2 before any run starts."""
    from pipeline.departments import UnknownDepartment, resolve_department
    from schemas.departments import get_registry

    try:
        return resolve_department(text, get_registry())
    except UnknownDepartment as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None


@app.command("report", cls=ChineseCommand)
def report_command(out: RunOutOption = None) -> None:
    """根据数据仓库中已采用的数据生成报告初稿（report.docx、report.md、趋势图），不重新读取收件箱。"""
    from report.build import build_report

    settings = get_settings()
    warehouse = _open_warehouse()
    if warehouse.locked() and (out is None or out.resolve() == settings.outputs_dir.resolve()):
        console.print("[red]本轮已定稿：outputs/ 中的报告保持定稿版本。要按当前数据另出一稿，"
                      "请用 --out 指定另一个文件夹；要更新报告，请先 huizong review unlock。[/red]")
        raise typer.Exit(2)
    with console.status("正在生成报告初稿和趋势图……"):
        result = build_report(warehouse, out or settings.outputs_dir)
    console.print(f"报告初稿已生成：{result.paths[1]}")
    if result.gaps:
        console.print(f"待补数据 {len(result.gaps)} 项：")
        for gap in result.gaps:
            console.print(f"  {gap}", highlight=False)
    if result.to_verify:
        console.print(f"有 {result.to_verify} 个数字待核实，见报告附件二。")


# ── looking at the warehouse ──────────────────────────────────────────────────
@app.command("status", cls=ChineseCommand)
def status_command() -> None:
    """报送台账（各单位应报、已采用、待改错误、待核提醒和状态），以及运行和邮件情况。"""
    from config.clock import local_text
    from pipeline.operations import operations_zh
    from pipeline.signoff import signed
    from schemas.labels import LEDGER_ZH

    warehouse = _open_warehouse()
    round_ = warehouse.round
    deadline = round_.deadline
    table = Table(title=f"报送情况：{round_.name}（{round_.first_year}—{round_.last_year}年，"
                        f"截止 {deadline.year}年{deadline.month}月{deadline.day}日）")
    for column in ("单位", "应报", "已报", "已采用", "待改错误", "待核提醒", "最近报送", "状态"):
        table.add_column(column)
    for row in warehouse.current_ledger():
        table.add_row(row.department, str(row.expected), str(row.received), str(row.accepted),
                      str(row.open_errors), str(row.open_warnings),
                      local_text(row.last_submission, "%m-%d %H:%M"), LEDGER_ZH[row.status])
    console.print(table)
    locked = signed(warehouse)
    if locked is not None:
        console.print(escape(locked.headline_zh()), highlight=False)
        for line in locked.changes:
            console.print(escape(f"  {line}"), highlight=False)
    for line in operations_zh(warehouse, get_settings()):
        console.print(escape(line), highlight=False)


@app.command("issues", cls=ChineseCommand)
def issues_command(department: Annotated[str | None, typer.Option(
        "--department", "-d", help="只看这个单位（名称、简称或代码）")] = None) -> None:
    """列出待处理和已说明的问题（错误在前）。"""
    from schemas.issue import SEVERITY_ORDER
    from schemas.labels import SEVERITY_ZH
    from warehouse.table import open_issues

    warehouse = _open_warehouse()
    code = _known_department(department) if department else None
    with warehouse.begin() as session:
        issues = open_issues(session, code)
    names = {d.code: d.name for d in warehouse.registry.departments}
    issues.sort(key=lambda pair: (pair[0].department_key, SEVERITY_ORDER[pair[0].severity]))
    for issue, file in issues:
        state = "（已说明）" if issue.state == "explained" else ""
        console.print(escape(f"[{SEVERITY_ZH[issue.severity]}{state}] "
                             f"{names.get(issue.department_code or '', '未识别单位')} {file}："
                             f"{issue.message_zh}"), highlight=False)
    console.print(f"共 {len(issues)} 项。")
