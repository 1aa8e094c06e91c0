"""The command line in the user's language: argparse's own words ("usage:", "options:", its
error lines) and every option's help, as Text(en, zh) data, spoken by one ArgumentParser
subclass that is given the language.

argparse builds its error messages in English before it calls error(); error() reads them back
with the patterns below and says them again in the chosen language (a message it does not know
stays as argparse wrote it). The exit code of a usage error stays 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import NoReturn

import explain
from explain import Text

ARGPARSE_WORDS: dict[str, Text] = {
    "usage": Text("usage: ", "用法："),
    "options": Text("options", "选项"),
    "arguments": Text("positional arguments", "位置参数"),
    "help": Text("show this help message and exit", "显示本帮助信息并退出"),
    "error": Text("{prog}: error: {message}\n", "{prog}：错误：{message}\n"),
}

# What argparse says (its English, as a pattern) and the same in both languages.
ARGPARSE_ERRORS: tuple[tuple[re.Pattern[str], Text], ...] = (
    (re.compile(r"argument (?P<option>\S+?): (?P<message>.+)", re.S),
     Text("argument {option}: {message}", "参数 {option}：{message}")),
    (re.compile(r"invalid (?P<type>\w+) value: (?P<value>.+)", re.S),
     Text("invalid {type} value: {value}", "{value} 不是有效的{type}")),
    (re.compile(r"invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)", re.S),
     Text("invalid choice: {value} (choose from {choices})",
          "无效的取值 {value}（可选：{choices}）")),
    (re.compile(r"expected one argument"),
     Text("expected one argument", "需要一个值")),
    (re.compile(r"the following arguments are required: (?P<arguments>.+)", re.S),
     Text("the following arguments are required: {arguments}", "缺少以下参数：{arguments}")),
    (re.compile(r"unrecognized arguments: (?P<arguments>.+)", re.S),
     Text("unrecognized arguments: {arguments}", "无法识别的参数：{arguments}")),
    (re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)", re.S),
     Text("ambiguous option: {option} could match {matches}",
          "有歧义的选项：{option} 可能是 {matches}")),
    (re.compile(r"ignored explicit argument (?P<value>.+)", re.S),
     Text("ignored explicit argument {value}", "此选项不带值，却给了 {value}")),
)

# The types that argparse names in "invalid int value".
TYPE_NAMES: dict[str, Text] = {
    "int": Text("int", "整数"),
    "float": Text("float", "数值"),
}


def said_again(message: str, lang: str) -> str:
    """An argparse error message in ``lang`` (unchanged when its pattern is not known)."""
    for pattern, text in ARGPARSE_ERRORS:
        found = pattern.fullmatch(message)
        if found:
            values = {name: said_again(value, lang) if name == "message" else value
                      for name, value in found.groupdict().items()}
            if "type" in values and values["type"] in TYPE_NAMES:
                values["type"] = TYPE_NAMES[values["type"]](lang)
            return text(lang).format_map(values)
    return message


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# What a line may break between: a run of ASCII (a word, an option, a number) stays whole,
# Chinese may break after any character, but a line never starts with closing punctuation.
_CLOSING = "，。：；、！？）》」』”’"
_PIECE = re.compile(rf"(?:[!-~]+|[^\s]|\s+)[{_CLOSING}]*")


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns (longer only where one word is)."""
    lines, line = [], ""
    for piece in _PIECE.findall(" ".join(text.split())):
        if line and columns(line + piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    return [*lines, line.rstrip()] if line.strip() else lines


def chosen_language(argv: Sequence[str] | None) -> str:
    """The --lang of ``argv`` when it names a language, else the system's: read before the
    real parser runs, because --help is printed while parsing ("--lang zh --help"). A scan
    rather than a parser, so that a bad or missing value is left for the real parser to
    report in the right language instead of ending the program here."""
    argv = sys.argv[1:] if argv is None else argv
    for index, argument in enumerate(argv):
        if argument.startswith("--lang="):
            value = argument.partition("=")[2]
        elif argument == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        else:
            continue
        if value in explain.LANGUAGES:
            return value
    return explain.detect_language()


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter in the parser's language: the usage line's prefix, and help that
    wraps by the columns Chinese takes."""

    lang = "en"

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups,
                          ARGPARSE_WORDS["usage"](self.lang) if prefix is None else prefix)

    def _format_usage(self, usage, actions, groups, prefix):
        # argparse indents the usage's continuation lines by len(prefix); "用法：" is three
        # characters but six columns wide. Format with an ASCII stand-in as wide as the prefix.
        stand_in = "\0" * columns(prefix)
        return super()._format_usage(usage, actions, groups, stand_in).replace(stand_in, prefix, 1)

    def _split_lines(self, text, width):
        return wrap(text, width)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that speaks ``lang``: its usage line, its options heading, its -h
    and its errors. Arguments are added with argument() and option(), whose help is a Text."""

    def __init__(self, lang: str, *, prog: str, description: Text, epilog: str) -> None:
        formatter = type("HelpFormatter", (_HelpFormatter,), {"lang": lang})
        super().__init__(prog=prog, description=description(lang), epilog=epilog,
                         formatter_class=formatter, add_help=False)
        self.lang = lang
        self._arguments = self.add_argument_group(ARGPARSE_WORDS["arguments"](lang))
        self._options = self.add_argument_group(ARGPARSE_WORDS["options"](lang))
        self._options.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                                   help=ARGPARSE_WORDS["help"](lang))

    def format_help(self) -> str:
        # argparse puts an ASCII colon after a heading; Chinese takes the full-width one.
        said = super().format_help()
        if self.lang == "zh":
            for group in (self._arguments, self._options):
                said = said.replace(f"\n{group.title}:\n", f"\n{group.title}：\n")
        return said

    def argument(self, name: str, *, help: Text, **settings) -> None:  # noqa: A002
        self._arguments.add_argument(name, help=help(self.lang), **settings)

    def option(self, *names: str, help: Text, **settings) -> None:  # noqa: A002 (argparse's name)
        self._options.add_argument(*names, help=help(self.lang), **settings)

    def fail(self, text: Text, **values: object) -> NoReturn:
        """A usage error of our own, in the parser's language."""
        self.error(text(self.lang).format_map(values))

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, ARGPARSE_WORDS["error"](self.lang).format(
            prog=self.prog, message=said_again(message, self.lang)))
