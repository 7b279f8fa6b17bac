"""Every quirk of real-world mail has a fixture named after it; parsing reads it right."""

from pathlib import Path

from laufzettel.mail.parse import parse_message

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


def parse(name: str):  # type: ignore[no-untyped-def]
    return parse_message((FIXTURES / name).read_bytes())


def test_undeclared_8bit_body_is_read_as_windows_1252() -> None:
    parsed = parse("charset-undeclared-windows-1252.eml")
    assert parsed.from_name == "Jürgen Weiß"
    assert parsed.subject == "Drucker fällt aus"
    # En dash and German quotes exist in Windows-1252 only, not in Latin-1.
    assert "im Büro fällt seit Montag aus \u2013 bitte um Rückruf." in parsed.text
    assert "Grüße \u201eJürgen\u201c" in parsed.text


def test_encoded_words_split_inside_a_utf8_character_join() -> None:
    parsed = parse("rfc2047-word-split-inside-utf8-char.eml")
    assert parsed.subject == "Grüße aus Köln"
    assert parsed.from_name == "Petra Müller"
    assert parsed.text.strip() == "Schöne Grüße"


def test_rfc2231_continued_attachment_name() -> None:
    parsed = parse("rfc2231-attachment-name.eml")
    assert [a.filename for a in parsed.attachments] == ["Prüfbericht März 2026.pdf"]
    assert parsed.attachments[0].data.startswith(b"%PDF-1.1")
    assert parsed.attachments[0].content_type == "application/pdf"
    assert parsed.text.strip() == "Anbei der Bericht."


def test_html_only_mail_is_sanitised_with_text_derived_and_inline_image_kept() -> None:
    parsed = parse("html-only-with-script-and-cid-image.eml")
    assert "<script" not in parsed.html and "alert(1)" not in parsed.html
    assert "onclick" not in parsed.html and "javascript:" not in parsed.html
    assert "color:red" not in parsed.html
    assert 'src="cid:logo@kunde.example"' in parsed.html
    assert parsed.text.splitlines()[0] == "Sehr geehrte Damen und Herren,"
    assert "der Server rz-07 ist nicht erreichbar.\nGrüße" in parsed.text
    (logo,) = parsed.attachments
    assert (logo.filename, logo.content_id, logo.inline) == ("logo.png", "logo@kunde.example", True)
    assert logo.data.startswith(b"\x89PNG")


def test_forwarded_message_is_kept_as_eml_attachment_named_after_its_subject() -> None:
    parsed = parse("forwarded-message-rfc822.eml")
    assert parsed.text.strip() == "Siehe unten."
    (forwarded,) = parsed.attachments
    assert forwarded.filename == "Störung Telefonanlage.eml"
    assert forwarded.content_type == "message/rfc822"
    assert b"Die Anlage ist gest" in forwarded.data


def test_raw_utf8_bytes_in_headers() -> None:
    parsed = parse("raw-8bit-header-utf8.eml")
    assert (parsed.from_name, parsed.subject) == ("Jörg Müßig", "Größenänderung für Büro")


def test_multipart_without_closing_boundary_keeps_text_and_part() -> None:
    parsed = parse("multipart-missing-closing-boundary.eml")
    assert "obwohl die Grenze nie schließt" in parsed.text
    assert [a.filename for a in parsed.attachments] == ["half.bin"]


def test_mail_without_from_and_message_id_still_parses() -> None:
    parsed = parse("no-message-id-no-from.eml")
    assert parsed.from_email == "" and parsed.message_id == ""
    assert parsed.subject == "Ohne Absender"


def test_delivery_report_names_the_original_and_the_failure() -> None:
    parsed = parse("bounce-multipart-report.eml")
    assert parsed.report is not None
    assert parsed.report.original_message_ids == ["<ORIGINAL-ID>"]
    assert parsed.report.failed_recipients == ["petra.mueller@mueller-logistik.example"]
    assert parsed.report.status == "5.1.1" and parsed.report.failed
    assert "User unknown" in parsed.report.diagnostic


def test_threading_headers() -> None:
    parsed = parse("reply-in-reply-to-our-message.eml")
    assert parsed.in_reply_to == ["<ORIGINAL-ID>"]
    assert parsed.references == ["<ROOT-ID>", "<ORIGINAL-ID>"]
    assert parsed.message_id == "<reply-1@mueller-logistik.example>"


def test_outlook_winmail_dat_is_unpacked_into_body_and_files() -> None:
    parsed = parse("outlook-winmail-dat-tnef.eml")
    assert parsed.text == "Siehe Anhang.\n\nBitte den Vertrag prüfen."
    assert [(a.filename, a.data) for a in parsed.attachments] == [
        ("Vertrag.txt", b"Vertragstext 2026\n")
    ]


def test_unreadable_winmail_dat_is_kept_as_it_is() -> None:
    raw = (FIXTURES / "outlook-winmail-dat-tnef.eml").read_bytes()
    broken = raw.replace(b"eJ8+Ig", b"AAAAAA")  # the TNEF signature, base64-encoded
    assert broken != raw
    parsed = parse_message(broken)
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]
