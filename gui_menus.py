"""The window's menu bar and keyboard shortcuts, and the Help windows: the shortcuts, how to
set up a mail client, About (with the version).

``build_menus(window)`` puts the menu bar on an ObserverWindow's root and binds its
shortcuts there; the commands are the window's. Menu titles carry a mnemonic, underlined in
English ("File") and written after the title in Chinese, as Chinese Windows programs do
("文件(F)"); Alt and the letter open the menu.
"""

from __future__ import annotations

import platform
import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk
from typing import Any

from PIL import Image

import gui_console
from explain import Text
from gui_widgets import TAG_HEADER_NAME, replace_text, scrolled_text
from version import VERSION
from words import Labels

WORDS: dict[str, Text] = {
    "menu_file": Text("File", "文件"),
    "menu_help": Text("Help", "帮助"),
    "presentation": Text("Presentation mode", "演示模式"),
    "help_shortcuts": Text("Keyboard shortcuts", "键盘快捷键"),
    "help_client_setup": Text("Setting up a mail client", "设置邮件客户端"),
    "help_about": Text("About SMTP Observer", "关于 SMTP Observer"),
    "close": Text("Close", "关闭"),
    "shortcut_presentation_leave": Text("Leave presentation mode; in the dialogue: follow the "
                                        "newest lines again",
                                        "退出演示模式；在工作日志中：重新跟随最新的行"),
    "shortcut_dialogue_lines": Text("In the dialogue: the previous or next line, explained",
                                    "在工作日志中：选中并解释上一行或下一行"),
    "shortcut_search": Text("Search the message list", "搜索邮件列表"),
    "shortcut_delete": Text("In the message list: delete the selected message",
                            "在邮件列表中：删除选中的邮件"),
    "shortcut_zoom_wheel": Text("Larger or smaller text", "放大或缩小文字"),
    "key_ctrl_wheel": Text("Ctrl+wheel", "Ctrl+滚轮"),
    "shortcut_menus": Text("Open a menu by its underlined letter", "按菜单名后的字母打开该菜单"),
    "about_text": Text(
        "SMTP Observer {version}\n\n"
        "A simplified SMTP and POP3 server for networking labs: it shows the SMTP dialogue "
        "command by command, explains each line, and decodes the mail that arrived. It never "
        "stores or forwards mail; nothing received is written anywhere unless you save it.\n\n"
        "Python {python} · Tk {tk} · Pillow {pillow}",
        "SMTP Observer {version}\n\n"
        "用于计算机网络实验的简化 SMTP 和 POP3 服务器：逐条显示 SMTP 命令与应答并加以解释，"
        "解码收到的邮件。它从不存储或转发邮件；收到的内容只有在你保存时才会写入磁盘。\n\n"
        "Python {python} · Tk {tk} · Pillow {pillow}"),
    "client_setup_text": Text(
        "Give the mail client this observer as both servers, without encryption:\n"
        "  Incoming mail (POP3): {host}, port {pop3_port}\n"
        "  Outgoing mail (SMTP): {host}, port {smtp_port}\n"
        "  User name and password: anything; send to any address.\n\n"
        "Outlook 2013 and 2010: File › Add Account › Manual setup or additional server types › "
        "POP or IMAP. Clear \"Require logon using Secure Password Authentication (SPA)\"; More "
        "Settings… › Advanced: the two ports above, encryption None.\n"
        "Outlook 2016 to 2021: File › Add Account › Advanced options › Let me set up my account "
        "manually › POP; the same servers and ports, encryption None.\n"
        "Foxmail: ≡ › Account Management › Server: POP3 and SMTP as above, SSL not ticked.\n"
        "Thunderbird: Account Settings › Outgoing Server (SMTP) › Add…: connection security "
        "None, authentication No authentication (or Normal password to watch AUTH).\n"
        "The new Outlook and the Windows Mail app cannot reach a server on this computer: use "
        "one of the clients above.\n\n"
        "Without a mail client, in Windows PowerShell:\n",
        "在邮件客户端里，接收和发送服务器都填这台观察器，都不加密：\n"
        "  接收邮件服务器（POP3）：{host}，端口 {pop3_port}\n"
        "  发送邮件服务器（SMTP）：{host}，端口 {smtp_port}\n"
        "  用户名和密码随便填；收件人随便填。\n\n"
        "Outlook 2013 / 2010：文件 › 添加帐户 › 手动设置或其他服务器类型 › POP 或 IMAP；不要勾选"
        "“要求使用安全密码验证(SPA)进行登录”；其他设置… › 高级：填上面的两个端口，加密连接类型选“无”。\n"
        "Outlook 2016～2021：文件 › 添加帐户 › 高级选项 › 让我手动设置我的帐户 › POP；服务器和端口同上，"
        "加密方法选“无”。\n"
        "Foxmail：≡ 菜单 › 账号管理 › 服务器：POP3 和 SMTP 同上，SSL 都不勾。\n"
        "Thunderbird：账户设置 › 发件服务器 › 添加…：连接安全选“无”，验证方式选“无须验证”"
        "（要观察 AUTH 就选“普通密码”）。\n"
        "新版 Outlook 和 Windows“邮件”应用不能连接本机上的服务器，请改用上面的客户端。\n\n"
        "没有邮件客户端时，在 Windows PowerShell 中：\n"),
    "client_setup_no_pop3": Text("(POP3 is not served in this run)", "（本次运行没有 POP3 服务）"),
    "client_setup_readme": Text("\nThe README (its \"Setting up a mail client\" section) has "
                                "every step.",
                                "\n详细步骤见 README 的“设置邮件客户端”一节。"),
}

# The letter of each menu title: Alt and the letter open it.
MNEMONICS = {"menu_file": "F", "menu_session": "S", "menu_scenarios": "C", "menu_view": "V",
             "menu_help": "H"}

SAMPLE_COMMAND = ('Send-MailMessage -SmtpServer {host} -Port {smtp_port} '
                  '-From student@example.com -To teacher@example.com -Subject "测试" '
                  '-Body "你好，SMTP" -Encoding UTF8')


def menu_title(labels: Labels, key: str) -> dict[str, Any]:
    """The label and underline of a menu title with its mnemonic: "File" with F underlined,
    or "文件(F)"."""
    title, letter = labels[key], MNEMONICS[key]
    if labels.lang == "zh":
        return {"label": f"{title}({letter})", "underline": len(title) + 1}
    return {"label": title, "underline": title.lower().find(letter.lower())}


def shortcut_sequences(key: str) -> tuple[str, ...]:
    """Ctrl+key, as Tk spells it with and without Shift or Caps Lock."""
    return (f"<Control-{key.lower()}>", f"<Control-{key.upper()}>")


def build_menus(window: Any) -> tk.Menu:
    """The menu bar of ``window`` (an ObserverWindow), its shortcuts bound on its root."""
    labels, root = window.labels, window.root
    menubar = tk.Menu(root)
    # Each command: (label key, accelerator shown, Tk sequences bound here or None, command).
    file_items = [("save_message", "Ctrl+S", shortcut_sequences("s"),
                   window.message_pane.save_message)]
    session_items = [("export_session", "Ctrl+E", shortcut_sequences("e"), window.export_session),
                     ("clear", "Ctrl+L", shortcut_sequences("l"), window.clear)]
    view_items = [("zoom_in", "Ctrl++", None, lambda: window.zoom.zoom(+1)),
                  ("zoom_out", "Ctrl+-", None, lambda: window.zoom.zoom(-1)),
                  ("zoom_reset", "Ctrl+0", None, lambda: window.zoom.reset()),
                  ("presentation", "F11", None, lambda: window.presentation.toggle())]
    help_items = [("help_shortcuts", "", None, lambda: show_shortcuts(window)),
                  ("help_client_setup", "", None, lambda: show_client_setup(window))]
    menus = {}
    for key, items in (("menu_file", file_items), ("menu_session", session_items),
                       ("menu_scenarios", []), ("menu_view", view_items),
                       ("menu_help", help_items)):
        menu = menus[key] = tk.Menu(menubar, tearoff=False)
        for label_key, accelerator, sequences, command in items:
            menu.add_command(label=labels[label_key], accelerator=accelerator, command=command)
            for sequence in sequences or ():
                root.bind(sequence, lambda _e, command=command: _run(command))
        menubar.add_cascade(menu=menu, **menu_title(labels, key))
    window.scenario_menu = menus["menu_scenarios"]
    gui_console.extend_menus(window, menus["menu_file"], menus["menu_session"], menus["menu_help"])
    menus["menu_help"].add_separator()
    menus["menu_help"].add_command(label=labels["help_about"], command=lambda: show_about(window))
    window.shortcuts = [(accelerator, labels[label_key])
                        for items in (file_items, session_items, view_items)
                        for label_key, accelerator, _sequences, _command in items]
    return menubar


def _run(command: Callable[[], object]) -> str:
    command()
    return "break"  # the shortcut is the window's, not the focused widget's as well


# --------------------------------------------------------------------------------------------
# The Help windows


def help_window(window: Any, title: str, segments: Sequence[tuple[str, str]],
                *, tabs: str = "") -> tk.Toplevel:
    """A small window of read-only text and a Close button; Esc closes it too."""
    root = window.root
    top = tk.Toplevel(root)
    top.title(title)
    top.transient(root)
    frame, text = scrolled_text(top, wrap="word", font="TkTextFont", width=72, height=16,
                                padx=10, pady=8, tabs=tabs or ())
    text.tag_configure(TAG_HEADER_NAME, font=window.bold_font)
    replace_text(text, segments)
    bar = ttk.Frame(top, padding=(8, 4, 8, 8))
    ttk.Button(bar, text=window.labels["close"], command=top.destroy).pack(side="right")
    bar.pack(side="bottom", fill="x")
    frame.pack(side="top", fill="both", expand=True)
    top.bind("<Escape>", lambda _e: top.destroy())
    top.focus_set()
    window.help_windows = [*[w for w in getattr(window, "help_windows", []) if w.winfo_exists()],
                           top]
    return top


def show_shortcuts(window: Any) -> tk.Toplevel:
    labels = window.labels
    rows = [*window.shortcuts,
            ("Ctrl+F", labels["shortcut_search"]),  # bound by the window for its list
            ("Delete", labels["shortcut_delete"]),  # the list's own key
            ("Esc", labels["shortcut_presentation_leave"]),
            ("↑  ↓", labels["shortcut_dialogue_lines"]),
            (labels["key_ctrl_wheel"], labels["shortcut_zoom_wheel"]),
            ("Alt+F, S, C, V, H", labels["shortcut_menus"])]
    segments = [(f"{keys}\t{what}\n", "") for keys, what in rows]
    return help_window(window, labels["help_shortcuts"], segments, tabs="11c")


def show_client_setup(window: Any) -> tk.Toplevel:
    labels = window.labels
    host, smtp_port, pop3_port = window.client_setup_address()
    values = {"host": host, "smtp_port": smtp_port,
              "pop3_port": pop3_port if pop3_port is not None else labels["client_setup_no_pop3"]}
    segments = [(labels["client_setup_text"].format(**values), ""),
                (SAMPLE_COMMAND.format(**values) + "\n", TAG_HEADER_NAME),
                (labels["client_setup_readme"], "")]
    return help_window(window, labels["help_client_setup"], segments)


def show_about(window: Any) -> tk.Toplevel:
    labels = window.labels
    text = labels["about_text"].format(
        version=VERSION, python=platform.python_version(),
        tk=window.root.tk.call("info", "patchlevel"), pillow=Image.__version__)
    title, _, rest = text.partition("\n")
    return help_window(window, labels["help_about"], [(title + "\n", TAG_HEADER_NAME),
                                                       (rest, "")])

