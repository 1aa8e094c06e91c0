"""Mail sent through the real server by real clients comes out decoded, byte for byte."""

from __future__ import annotations

import hashlib
import smtplib
import subprocess
from email.message import EmailMessage

import pytest

from conftest import require_program
from messages import (SEED_ATTACHMENT_NAME, SEED_FROM, SEED_SUBJECT, SEED_TEXT, SEED_TO,
                      outlook_seed_message, sample_picture)

PICTURE_FORMATS = {"png": "PNG", "bmp": "BMP", "gif": "GIF", "jpg": "JPEG"}
PICTURE_SIZE = (96, 64)


@pytest.fixture
def pictures(tmp_path):
    """One small real picture file per format the observer shows."""
    files = {}
    for extension, image_format in PICTURE_FORMATS.items():
        path = tmp_path / f"picture.{extension}"
        path.write_bytes(sample_picture(image_format, PICTURE_SIZE))
        files[extension] = path
    return files


def assert_pictures_arrived(decoded, pictures) -> None:
    by_name = {attachment.filename: attachment for attachment in decoded.attachments}
    assert sorted(by_name) == sorted(path.name for path in pictures.values())
    for extension, path in pictures.items():
        attachment = by_name[path.name]
        assert attachment.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert attachment.size == path.stat().st_size
        assert attachment.image.format == PICTURE_FORMATS[extension]
        assert (attachment.image.width, attachment.image.height) == PICTURE_SIZE


def test_smtplib_pictures_arrive_byte_exact(observer, pictures):
    message = EmailMessage()
    message["Subject"] = "四种图片"
    message["From"] = "student@example.com"
    message["To"] = "teacher@example.com"
    message.set_content("见附件。\n")
    for extension, path in pictures.items():
        message.add_attachment(path.read_bytes(), maintype="image",
                               subtype=PICTURE_FORMATS[extension].lower(), filename=path.name)
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.send_message(message)
    decoded = observer.wait_for("message")[0].decoded
    assert decoded.subject == "四种图片"
    assert decoded.text == "见附件。\n"
    assert_pictures_arrived(decoded, pictures)


def test_swaks_pictures_sent_as_octet_stream_are_recognised_by_content(observer, pictures):
    swaks = require_program("swaks")
    attach = [arg for path in pictures.values() for arg in ("--attach", f"@{path}")]
    done = subprocess.run([swaks, "--server", f"127.0.0.1:{observer.port}",
                           "--from", "student@example.com", "--to", "teacher@example.com",
                           "--attach-type", "application/octet-stream", *attach],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout.decode()
    decoded = observer.wait_for("message")[0].decoded
    assert {a.content_type for a in decoded.attachments} == {"application/octet-stream"}
    assert_pictures_arrived(decoded, pictures)


def test_the_seed_outlook_message_arrives_decoded(observer):
    picture = sample_picture()
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("ideaPC")
        client.sendmail(SEED_FROM, [SEED_TO], outlook_seed_message(picture))
    decoded = observer.wait_for("message")[0].decoded
    assert decoded.subject == SEED_SUBJECT
    assert decoded.text == SEED_TEXT.replace("\r\n", "\n")
    assert decoded.html is not None and not decoded.text_from_html
    (attachment,) = decoded.attachments
    assert attachment.filename == SEED_ATTACHMENT_NAME
    assert attachment.sha256 == hashlib.sha256(picture).hexdigest()
