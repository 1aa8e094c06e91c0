"""The lab guide (docs/实验指导书.md, docs/lab-guide.md): every place it sends a student to exists in
the program, in that language, and both guides have the same tasks."""

from __future__ import annotations

import re

import pytest

import explain
import gui
import gui_console
import smtp_observer
from conftest import ROOT

GUIDES = {"zh": ROOT / "docs" / "实验指导书.md", "en": ROOT / "docs" / "lab-guide.md"}
WHERE = {"zh": "**在窗口哪里看**", "en": "**Where to look**"}
QUOTED = {"zh": re.compile(r"「([^」]+)」"), "en": re.compile(r"“([^”]+)”")}


def places(lang: str) -> set[str]:
    """What the window shows in `lang`: labels (the fixed part before a {value}) and scenarios."""
    labels = [*gui.LABELS[lang].values(), *gui_console.LABELS[lang].values()]
    shown = {label.split("{", 1)[0] for label in labels}
    return shown | {explain.scenario_label(name, lang) for name in explain.SCENARIOS}


def tasks(lang: str) -> list[str]:
    text = GUIDES[lang].read_text(encoding="utf-8")
    heading = "### 任务 " if lang == "zh" else "### Task "
    return [part.split("\n## ", 1)[0] for part in text.split(heading)[1:]]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_task_says_where_to_look_and_that_place_exists(lang):
    found = tasks(lang)
    assert 8 <= len(found) <= 10
    known = places(lang)
    for task in found:
        where = [line for line in task.splitlines() if WHERE[lang] in line]
        assert where, task.splitlines()[0]
        named = QUOTED[lang].findall(where[0])
        assert named, where[0]
        for place in named:
            assert place in known, f"task {task.splitlines()[0]!r} names {place!r}"


def test_every_place_the_chinese_guide_quotes_exists():
    text = GUIDES["zh"].read_text(encoding="utf-8")
    known = places("zh")
    assert all(place in known for place in QUOTED["zh"].findall(text)), \
        sorted(set(QUOTED["zh"].findall(text)) - known)


def test_both_guides_have_the_same_tasks_and_the_options_they_name_exist():
    assert len(tasks("zh")) == len(tasks("en"))
    parser_help = smtp_observer.parse_args.__code__.co_consts
    options = {const for const in parser_help if isinstance(const, str) and const.startswith("--")}
    for lang, path in GUIDES.items():
        for option in set(re.findall(r"(--[a-z][a-z0-9-]+)", path.read_text(encoding="utf-8"))):
            assert option in options, (lang, option)


def test_the_teachers_answers_are_a_separate_file_the_guides_link():
    for guide, answers in (("实验指导书.md", "教师参考答案.md"), ("lab-guide.md", "teacher-answers.md")):
        assert f"]({answers})" in (ROOT / "docs" / guide).read_text(encoding="utf-8")
        text = (ROOT / "docs" / answers).read_text(encoding="utf-8")
        assert "5oKo5aW9" in text and "C4 FA BA C3" in text  # 您好 in UTF-8 and in GB2312
