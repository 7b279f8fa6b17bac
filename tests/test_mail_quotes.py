"""Quoted history and signatures are found, so the timeline can fold them; the text is kept."""

from laufzettel.mail.quotes import split_quoted


def test_german_attribution_and_quote_are_folded() -> None:
    text = "Danke, klappt wieder.\n\nAm 30.11.2026 um 09:00 schrieb Support:\n> Bitte neu starten."
    assert split_quoted(text) == (
        "Danke, klappt wieder.",
        "Am 30.11.2026 um 09:00 schrieb Support:\n> Bitte neu starten.",
    )


def test_outlook_header_block_and_signature() -> None:
    own, rest = split_quoted("Siehe unten.\n\n-----Ursprüngliche Nachricht-----\nVon: Support")
    assert (own, rest.splitlines()[0]) == ("Siehe unten.", "-----Ursprüngliche Nachricht-----")
    own, rest = split_quoted("Hallo,\nalles gut.\n-- \nPetra Müller\nMüller Logistik")
    assert (own, rest) == ("Hallo,\nalles gut.", "-- \nPetra Müller\nMüller Logistik")


def test_inline_answers_between_quotes_are_not_folded() -> None:
    text = "Antworten unten.\n> Frage 1\nJa.\n> Frage 2\nNein."
    assert split_quoted(text) == (text, "")


def test_text_that_starts_with_a_quote_stays_whole() -> None:
    text = "> nur zitiert"
    assert split_quoted(text) == (text, "")
