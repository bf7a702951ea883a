"""The report rendered from a warehouse filled by the example inbox."""

import re

import pytest
from docx import Document

from report.build import build_report
from report.template import Style
from report.wording import word
from tests.warehouse.helpers import example_warehouse


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    with example_warehouse(tmp_path_factory.mktemp("report")) as (warehouse, settings):
        result = build_report(warehouse, settings.outputs_dir)
        yield settings, result, (settings.outputs_dir / "report.md").read_text(encoding="utf-8")


def _latest(figures, code):
    return figures[(code, 2025)]


def test_disabled_children_sentence(rendered, figures):
    _, _, markdown = rendered
    total = int(_latest(figures, "edu.disabled_children.total"))
    regular = int(_latest(figures, "edu.disabled_children.regular_school"))
    special = int(_latest(figures, "edu.disabled_children.special_education"))
    rate = word(_latest(figures, "edu.disabled_children.enrolment_rate"),
                Style(unit="％", decimals=1))
    sentence = (f"全市现有各类义务教育阶段残疾儿童（7－14岁）{total}人<sup>[7]</sup>，"
                f"其中普通学校随班就读{regular}人<sup>[8]</sup>，接受特殊教育{special}人"
                f"<sup>[9]</sup>，残疾儿童入学率达{rate}<sup>[10]</sup>。")
    assert sentence in markdown


def test_sums_and_round_figures(rendered, figures):
    _, _, markdown = rendered
    sessions = sum(figures[("league.lecturers.sessions", y)] for y in range(2021, 2026))
    assert f"开展青年讲师团党史宣讲{int(sessions)}场次（2021—2025年累计）<sup>[3]</sup>" in markdown
    activities = sum(figures[("culture.youth_activities.sessions", y)] for y in range(2021, 2026))
    assert f"开展线上线下活动{word(activities, Style(unit='场次', approx='余'))}" in markdown
    assert "2025年发放教师奖励性补贴人均" in markdown


def test_gaps_are_marked_in_the_text_and_listed_at_the_top(rendered):
    _, result, markdown = rendered
    marker = "【待补：市科学技术局·2025年·青年科技特派员下乡服务人数】"
    # In the sentence, and the draft's words after the figure stay: 名, ％以上; the
    # reference mark never stands between 名 and 80后 (it would read as a number).
    assert f"乡村振兴战略，{marker}名80后青年科技特派员下乡服务<sup>[36]</sup>，" in markdown
    assert "家庭医生签约率达到【待补：市残疾人联合会·2025年·残疾青年家庭医生签约率】％以上<sup>" \
        in markdown
    head = markdown.split("## 一、前期工作情况")[0]
    assert "待补数据 3 项" in head
    assert "待补：市科学技术局·2025年·青年科技特派员下乡服务人数" in head
    assert sorted(result.gaps) == sorted([
        "待补：市科学技术局·2025年·青年科技特派员下乡服务人数",
        "待补：市残疾人联合会·2025年·残疾青年家庭医生签约率",
        "待补：市残疾人联合会·2022年·康复救助经费",
    ])


def test_sources_and_to_verify_appendix(rendered, figures):
    _, _, markdown = rendered
    appendix = markdown.split("## 附件一　数据来源")[1].split("## 附件二")[0]
    total = int(_latest(figures, "edu.disabled_children.total"))
    assert (f"7. 义务教育阶段残疾儿童人数：{total:,} 人（取最近一年）；市教育局；2025年 {total:,}"
            "（青源市教育局-近五年青年发展数据（盖章版）.xlsx，Sheet1!J9）") in appendix
    verify = markdown.split("## 附件二　待核实")[1].split("## 附件三")[0]
    # Each warning's reason in full, also for the partner of a relation warning.
    assert ("12355青少年服务台线上咨询服务人次：2022年：数值已采用但有提醒，提醒内容：「12355"
            "青少年服务台线上咨询服务人次」2022年填报“约3000”为约数，暂按3,000人次计入") in verify
    assert ("批准逮捕侵害未成年人犯罪案件数：2023年：数值已采用但有提醒，提醒内容：「批准逮捕"
            "侵害未成年人犯罪人数」2023年填报10人，少于「批准逮捕侵害未成年人犯罪案件数」12件"
            ) in verify
    # Names and dates filled from round.yaml say where they came from.
    assert "- 未成年人法治教育微电影片名：守护花开（据本轮设置，未与报送数据核对）" in verify
    assert "- 全国少年体操U系列锦标赛年度：2023（据本轮设置，未与报送数据核对）" in verify
    assert "香港国际青年电影节届次：八（据本轮设置" in verify


def test_no_placeholder_survives(rendered):
    settings, _, markdown = rendered
    assert "XX" not in markdown and "202X" not in markdown
    document = Document(settings.outputs_dir / "report.docx")
    text = "\n".join(p.text for p in document.paragraphs)
    assert "XX" not in text
    assert document.paragraphs[0].text == "青源市近五年青年工作情况报告"


def test_docx_layout_fonts_and_charts(rendered):
    settings, result, _ = rendered
    document = Document(settings.outputs_dir / "report.docx")
    title = document.paragraphs[0].runs[0]
    east_asia = title._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert east_asia == "方正小标宋简体" and title.font.size.pt == 22
    body = next(p for p in document.paragraphs if p.text.startswith("1.青少年思想引领"))
    assert body.runs[0]._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋_GB2312"
    font_table = next(p for p in document.part.package.iter_parts()
                      if str(p.partname).endswith("/fontTable.xml")).blob.decode()
    assert 'w:name="仿宋_GB2312"' in font_table and 'w:val="仿宋"' in font_table
    assert len(document.inline_shapes) == 7  # one trend chart per section
    assert len(document.tables[0].rows) == 62  # header + every indicator
    assert sum(1 for p in result.paths if p.suffix == ".png") == 7


def test_each_sentence_takes_the_years_it_speaks_of(rendered, figures):
    _, _, markdown = rendered
    # 参加2023年…等体育赛事，荣获奖牌X枚: the 2023 medals, not five years of them.
    medals = int(figures[("sports.competitions.medals", 2023)])
    assert f"荣获奖牌{medals}枚<sup>" in markdown
    # A squad list is who is on it now; adding five rosters counts people again.
    squad = int(_latest(figures, "sports.diving_reserve.selected"))
    assert f"。{squad}人<sup>" in markdown and "入选南江省跳水学校后备人才集训队" in markdown
    appendix = markdown.split("## 附件一　数据来源")[1].split("## 附件二")[0]
    assert f"青少年体育赛事获得奖牌数：{medals:,} 枚（2023年）" in appendix


def test_the_drafts_own_figures_stand_and_disagreement_is_listed(rendered, figures):
    _, _, markdown = rendered
    assert "主题团课、队课覆盖率达100％（2025年）<sup>" in markdown
    assert "全市建立心理辅导机构和社会组织5家<sup>" in markdown
    verify = markdown.split("## 附件二　待核实")[1].split("## 附件三")[0]
    organisations = int(_latest(figures, "health.counselling.organisations"))
    listed = f"原稿写“5家”，汇总数据为“{organisations}家”" in verify
    assert listed == (organisations != 5)


def test_docx_prints_like_an_official_document(rendered):
    settings, result, _ = rendered
    document = Document(settings.outputs_dir / "report.docx")
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer and "— " in footer  # — 1 —
    properties = document.core_properties
    assert properties.author == "青源市青年工作联席会议办公室" and properties.created.year >= 2026
    sources, data = document.tables[0], document.tables[1]
    assert [c.text for c in sources.rows[0].cells] == ["序号", "指标", "取值", "取数",
                                                       "来源文件与单元格"]
    assert len(sources.rows) == len(result.figures) + 1  # one row per figure, not a page
    assert "<w:tblHeader" in sources.rows[0]._tr.xml and "<w:tblHeader" in data.rows[0]._tr.xml
    texts = {c.text for row in data.rows[1:] for c in row.cells}
    assert "未通过校验" in texts and "—" not in texts
    assert any(":" in c.text and "!" in c.text for c in sources.columns[4].cells[1:])  # ranges


def test_a_figure_resting_on_a_warned_value_is_marked_in_the_body(rendered):
    settings, result, markdown = rendered
    marked = {f.indicator.code: f.check for f in result.figures if f.check}
    assert marked == {
        "league.hotline_12355.consultations": "【待核：2022年数值有提醒，见附件二】",
        "procuratorate.crimes_against_minors.arrest_cases": "【待核：2023年数值有提醒，见附件二】",
        "procuratorate.crimes_against_minors.arrest_persons":
            "【待核：2023年数值有提醒，见附件二】",
    }
    assert "线上咨询服务1.2万余人次【待核：2022年数值有提醒，见附件二】<sup>[20]</sup>。" \
        in markdown
    document = Document(settings.outputs_dir / "report.docx")
    runs = [r for p in document.paragraphs for r in p.runs if "【待核" in r.text]
    assert len(runs) == 3 and all(r.font.highlight_color == 7 for r in runs)


def test_marks_are_glued_and_never_between_numbers(rendered):
    settings, result, _ = rendered
    document = Document(settings.outputs_dir / "report.docx")
    references = [r for p in document.paragraphs for r in p.runs if r.font.superscript]
    assert len(references) == len(result.figures)
    assert all(r.text.startswith("\u2060[") for r in references)  # a word joiner: no break
    body = "\n".join(p.text for p in document.paragraphs).replace("\u2060", "")
    # No mark between two digits, or between a figure's unit and a number.
    assert not re.search(r"\d\[\d+\]\d|\[\d+\]\d", body), re.findall(r".{6}\[\d+\]\d.{3}", body)


def test_a_clean_copy_for_leaders(rendered):
    settings, _, _ = rendered
    clean = Document(settings.outputs_dir / "report_clean.docx")
    text = "\n".join(p.text for p in clean.paragraphs)
    assert "[" not in text and "【" not in text and "附件" not in text
    assert "（数据待补）" in text and not clean.tables and not clean.inline_shapes
    assert not [r for p in clean.paragraphs for r in p.runs if r.font.highlight_color]
    assert text.rstrip().endswith("青源市青年工作联席会议办公室\n" + _today_zh())
    traced = Document(settings.outputs_dir / "report.docx")
    headings = [p for p in traced.paragraphs if p.text.startswith(("一、", "附件"))]
    assert headings and all(p.paragraph_format.keep_with_next for p in headings)
    assert all("<w:cantSplit" in row._tr.xml for table in traced.tables for row in table.rows)
    box = traced.paragraphs[1]
    assert box.text.startswith("待补数据 3 项") and "<w:pBdr>" in box._p.xml


def _today_zh() -> str:
    from config.clock import local_now

    today = local_now().date()
    return f"{today.year}年{today.month}月{today.day}日"


def test_a_sentence_mixing_a_sum_and_a_single_year_says_which_is_which(rendered, figures):
    _, _, markdown = rendered
    policies = int(_latest(figures, "edu.student_aid.policies"))
    assert f"落实{policies}项（2025年）<sup>[5]</sup>学生资助政策，受益学生" in markdown
    assert "万人次（2021—2025年累计）<sup>[6]</sup>" in markdown
    # A sentence whose figures all mean the same years is left as drafted.
    assert "残疾儿童（7－14岁）" in markdown and "人（2025年）<sup>[7]</sup>" not in markdown
