"""Real command-line mail clients against the real server: swaks and curl."""

from __future__ import annotations

import hashlib
import subprocess

from conftest import remark_text, require_program

MESSAGE_WITH_DOTS = (b"From: Student <a@example.com>\r\nTo: b@example.com\r\n"
                     b"Subject: dots\r\n\r\n.one dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n")


def run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, timeout=60, check=False)


def test_swaks_with_auth_and_an_attachment(observer, tmp_path):
    swaks = require_program("swaks")
    picture = tmp_path / "pixel.png"
    picture.write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d4c4b80000000049454e44ae426082"))
    done = run([swaks, "--server", f"127.0.0.1:{observer.port}", "--from", "a@example.com",
                "--to", "b@example.com", "--auth", "LOGIN", "--auth-user", "student",
                "--auth-password", "secret", "--attach", f"@{picture}", "--helo", "ideaPC"])
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    message = observer.wait_for("message")[0]
    assert message.accepted and message.envelope.rcpt_to == ("b@example.com",)
    assert b"Content-Disposition: attachment" in message.raw
    transcript = observer.transcript()
    assert "C: EHLO ideaPC" in transcript
    assert transcript[transcript.index("C: AUTH LOGIN") + 1] == "S: 334 VXNlcm5hbWU6"
    assert "S: 235 2.7.0 Authentication successful" in transcript
    assert observer.wait_for("disconnect")[0].reason == "quit"
    decoded = message.decoded
    attachment = decoded.attachments[0]
    assert attachment.sha256 == hashlib.sha256(picture.read_bytes()).hexdigest()
    assert (attachment.image.width, attachment.image.height) == (1, 1)


def test_swaks_message_with_leading_dots_arrives_byte_exact(observer, tmp_path):
    swaks = require_program("swaks")
    source = tmp_path / "dots.eml"
    source.write_bytes(MESSAGE_WITH_DOTS[:-2])  # swaks ends the data with a CRLF of its own
    done = run([swaks, "--server", f"127.0.0.1:{observer.port}", "--from", "a@example.com",
                "--to", "b@example.com", "--data", f"@{source}"])
    assert done.returncode == 0, done.stdout.decode()
    assert observer.wait_for("message")[0].raw == MESSAGE_WITH_DOTS


def test_swaks_sees_rejections(observer):
    swaks = require_program("swaks")
    done = run([swaks, "--server", f"127.0.0.1:{observer.port}", "--from", "a@example.com",
                "--to", "not an address", "--quit-after", "RCPT"])
    assert done.returncode != 0
    assert b"501 5.1.3 Bad recipient address syntax" in done.stdout


def test_curl_uploads_a_message_byte_exact(observer, tmp_path):
    curl = require_program("curl")
    source = tmp_path / "dots.eml"
    source.write_bytes(MESSAGE_WITH_DOTS)
    done = run([curl, "--silent", "--show-error", f"smtp://127.0.0.1:{observer.port}/client",
                "--mail-from", "a@example.com", "--mail-rcpt", "b@example.com",
                "--mail-rcpt", "c@example.com", "--upload-file", str(source)])
    assert done.returncode == 0, done.stderr.decode()
    message = observer.wait_for("message")[0]
    assert message.raw == MESSAGE_WITH_DOTS
    assert message.envelope.rcpt_to == ("b@example.com", "c@example.com")
    assert "C: EHLO client" in observer.transcript()


def test_curl_with_auth_plain(observer, tmp_path):
    curl = require_program("curl")
    source = tmp_path / "m.eml"
    source.write_bytes(b"Subject: auth\r\n\r\nhello\r\n")
    done = run([curl, "--silent", "--show-error", f"smtp://127.0.0.1:{observer.port}",
                "--user", "student:secret", "--login-options", "AUTH=PLAIN",
                "--mail-from", "a@example.com", "--mail-rcpt", "b@example.com",
                "--upload-file", str(source)])
    assert done.returncode == 0, done.stderr.decode()
    observer.wait_for("message")
    assert any("'student'" in remark_text(r) and r.secret == "secret"
               for r in observer.named("remark"))
