"""The example inbox of 青源市 that ships in `inbox/`: one submission per department, in
the shapes departments really send, with a few realistic mistakes for the pipeline to
catch. Regenerate with `.venv/bin/python -m samples.example_inbox` (it rewrites inbox/).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from config import get_settings
from samples.corpus import CorpusWriter
from samples.figures import sample_figures
from schemas.catalogue import get_catalogue
from schemas.departments import get_registry
from schemas.round import get_round

# The mistakes, and what the pipeline is expected to say about them.
MISTAKES = {
    "edu": "2024年随班就读人数超过残疾儿童总数（错误）",
    "youth_league": "2023年志愿者人数按“人”填进了“万人”一栏（疑似单位填错，错误，附更正值）；"
                    "2022年12355咨询人次写成“约3000”（约数，提醒）",
    "science": "2025年未填报（缺报，提醒）",
    "org": "第一张工作表是隐藏的旧版数据（不读取，只读可见的“填报表”，说明）",
    "culture_sports": "2023年入围全国单板滑雪集训名单人数为 0（上年非零，提醒可在备注说明）",
    "procuratorate": "法治学习按“人次”填报（自动换算，说明）；2023年批捕人数少于案件数（提醒）",
    "disabled": "2025年家庭医生签约率填成135（错误）；2022年康复救助经费写成“见附件”（错误）",
}


def write_example_inbox(target: Path) -> list[Path]:
    catalogue, registry, parameters = get_catalogue(), get_registry(), get_round()
    figures = sample_figures(catalogue, parameters.round.years)
    total = figures[("edu.disabled_children.total", 2024)]
    figures[("edu.disabled_children.regular_school", 2024)] = total + 120
    figures[("procuratorate.crimes_against_minors.arrest_persons", 2023)] = \
        figures[("procuratorate.crimes_against_minors.arrest_cases", 2023)] - 2
    figures[("sports.snowboard_national.shortlisted", 2023)] = 0  # nobody that year
    if target.exists():
        shutil.rmtree(target)
    writer = CorpusWriter(catalogue, registry, parameters, figures, target)
    registered = figures[("league.volunteers.registered", 2023)]
    samples = [
        writer.wide_messy("edu", "青源市教育局-近五年青年发展数据（盖章版）.xlsx"),
        writer.filled_template("youth_league", "团市委2026年青年发展数据填报表.xlsx", typed={
            ("league.volunteers.registered", 2023): round(registered * 10_000),
            ("league.hotline_12355.consultations", 2022): "约3000",
        }),
        writer.per_year_xls("culture_sports", "文广旅体局青年数据（2021-2025）.xls"),
        writer.csv_table("health", "卫健委青少年心理健康数据.csv", "gbk"),
        writer.filled_template("science", "科技局填报表.xlsx", typed={
            ("science.tech_envoys.dispatched", 2025): None}),
        writer.with_hidden_stale_sheet(writer.filled_template("org", "市委组织部填报表.xlsx")),
        writer.wide_messy("procuratorate", "检察院未成年人检察工作数据.xlsx"),
        writer.filled_template("disabled", "残联填报表.xlsx", typed={
            ("disabled.family_doctor.signing_rate", 2025): 135,
            ("disabled.child_rehabilitation.funds", 2022): "见附件",
        }),
    ]
    hrss_folder = target / "人社局"
    hrss_writer = CorpusWriter(catalogue, registry, parameters, figures, hrss_folder)
    samples.append(hrss_writer.long_table("hrss", "青年就业创业数据.xlsx", folder="人社局"))
    (target / ".gitkeep").touch()
    return [s.path for s in samples]


def corrected_example(file_name: str, cell: str, value: object, sheet: str = "填报表") -> bytes:
    """An example inbox workbook with one cell retyped, as a department corrects it."""
    import io

    import openpyxl

    from config import PROJECT_ROOT

    workbook = openpyxl.load_workbook(PROJECT_ROOT / "inbox" / file_name)
    workbook[sheet][cell] = value
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=get_settings().inbox_dir)
    args = parser.parse_args()
    for path in write_example_inbox(args.out):
        print(path.relative_to(args.out))


if __name__ == "__main__":
    main()
