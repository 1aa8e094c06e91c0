"""Class mode (--host 0.0.0.0): the window's title and status bar and the terminal say which
addresses students type (lan.py), found without internet, loopback never among them."""

from __future__ import annotations

import ipaddress

import pytest
from gui_fixtures import feed

import gui
import lan
import smtp_observer as so

pytest_plugins = ["gui_plugin"]  # the fixtures root and events

ROUTED = ["192.168.1.23", "192.168.1.23"]  # the interface towards two private networks
NAMED = ["127.0.1.1", "192.168.56.1", "192.168.1.23", "202.120.2.101"]  # incl. VirtualBox's


@pytest.fixture
def lab_pc(monkeypatch):
    monkeypatch.setattr(lan, "_routed_addresses", lambda: ROUTED)
    monkeypatch.setattr(lan, "_named_addresses", lambda: NAMED)


def test_this_pcs_addresses_are_ipv4_and_never_loopback():
    addresses = lan.lan_addresses()
    assert len(addresses) <= lan.MAX_ADDRESSES
    for address in addresses:
        ip = ipaddress.ip_address(address)
        assert ip.version == 4 and not ip.is_loopback and not ip.is_unspecified


def test_the_routed_interface_comes_first_and_private_addresses_before_public(lab_pc):
    assert lan.lan_addresses() == ("192.168.1.23", "192.168.56.1")


def test_a_campus_with_public_addresses_gets_those(monkeypatch):
    monkeypatch.setattr(lan, "_routed_addresses", lambda: [])
    monkeypatch.setattr(lan, "_named_addresses", lambda: ["127.0.0.1", "202.120.2.101"])
    assert lan.lan_addresses() == ("202.120.2.101",)


@pytest.mark.parametrize(("host", "expected"), [
    ("0.0.0.0", ("192.168.1.23", "192.168.56.1")), ("::", ("192.168.1.23", "192.168.56.1")),
    ("127.0.0.1", ()), ("::1", ()), ("localhost", ()), ("192.168.1.23", ("192.168.1.23",))])
def test_what_students_type_depends_on_where_the_observer_listens(lab_pc, host, expected):
    assert lan.addresses_to_type(host) == expected


def test_the_server_tells_the_addresses_when_it_listens_on_every_interface(lab_pc):
    events = so.queue.Queue()
    server = so.start_server(so.ServerConfig(host="0.0.0.0", port=0, serve_pop3=False), events)
    try:
        listening = events.get(timeout=10)
    finally:
        server.stop()
    assert listening.lan_addresses == ("192.168.1.23", "192.168.56.1")
    lines = so.listening_lines(listening, "zh")
    assert lines[-1] == (f"学生在邮件客户端中把 SMTP 服务器设为 192.168.1.23 或 192.168.56.1，"
                         f"端口 {listening.port}。")


@pytest.mark.gui
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_window_title_and_status_bar_show_what_students_type(root, events, lang):
    window = gui.ObserverWindow(root, events, lang=lang, poll=False)
    try:
        feed(window, events, so.Listening(
            session=0, time=0.0, host="0.0.0.0", port=2626, requested_port=2626,
            fallback_reason=None, hostname="teacher-pc", pop3_port=1110,
            lan_addresses=("192.168.1.23", "192.168.56.1")))
        shown = "192.168.1.23:2626, 192.168.56.1:2626"
        assert window.root.title().endswith(shown)
        assert shown in window.address_label.cget("text")
        # the dialogue's first lines too, POP3's with its own port
        dialogue = window.dialogue_text.get("1.0", "end")
        assert shown in dialogue and "192.168.1.23:1110, 192.168.56.1:1110" in dialogue
    finally:
        window.shutdown()
