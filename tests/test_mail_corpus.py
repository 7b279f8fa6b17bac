"""Zammad's parser corpus: our parse against its expectations, and every message filed or kept.

The share of messages matching on sender, subject, attachment names and body words is printed;
``docs/mail-corpus.md`` lists every mismatch with its reason. A mismatch counts as accepted only
if it is listed in ``ARGUED`` below, field by field, with the same reason as in the docs.
"""

from pathlib import Path

import pytest

from laufzettel.mail.ingest import ingest
from laufzettel.mail.models import InboundMessage, InboundStatus, Source
from tests.conftest import Org
from tests.mail_corpus import compare

# message -> the fields where we deliberately differ from Zammad's expectation (docs/mail-corpus.md)
ARGUED = {
    "mail046": {"from name"},  # Zammad reads GBK bytes as ISO-8859-2; we read them as GBK
    "mail065": {"from name"},  # Zammad splits an encoded word at its comma
    "mail072": {"body"},  # windows-1258 text; Zammad decodes it as windows-1250
    "mail076": {"from_email", "from name"},  # Zammad keeps a broken address with its ">"
    "mail087": {"from name", "attachments", "body"},  # Zammad files the text part as "file"
    "mail089": {"subject"},  # .box and .yml from different upstream commits
    "mail092": {"attachments"},  # contradicts mail055: same structure, other name upstream
}


def corpus(shared: Path) -> list[Path]:
    folder = shared / "mail-corpus" / "zammad"
    return sorted(box for box in folder.glob("*.box") if box.with_suffix(".yml").exists())


def test_parse_matches_zammad_expectations(shared_dir: Path) -> None:
    boxes = corpus(shared_dir)
    assert len(boxes) >= 60
    exact = accepted = 0
    report = []
    for box in boxes:
        comparison, _ = compare(box)
        fields = {
            reason.split(" ")[0] if not reason.startswith("from name") else "from name"
            for reason in comparison.reasons
        }
        if comparison.matches:
            exact += 1
            accepted += 1
            # A message we argue about must really still differ, or the docs are stale.
            assert box.stem not in ARGUED, f"{box.stem} now matches: remove it from ARGUED"
            continue
        report.append(f"{box.stem}: {'; '.join(comparison.reasons)}")
        if fields <= ARGUED.get(box.stem, set()):
            accepted += 1
    print(
        f"\nZammad corpus: {exact}/{len(boxes)} = {exact / len(boxes):.1%} match exactly; "
        f"{accepted}/{len(boxes)} = {accepted / len(boxes):.1%} with argued differences"
    )
    print("\n".join(report))
    assert accepted == len(boxes), "unargued mismatches:\n" + "\n".join(report)
    assert exact / len(boxes) >= 0.85


@pytest.mark.django_db(transaction=True)
def test_every_corpus_message_ends_as_ticket_article_or_kept_mail(
    shared_dir: Path, org: Org
) -> None:
    boxes = [*corpus(shared_dir), shared_dir / "mail-corpus/zammad/mail043.box"]
    for box in boxes:
        ingest(box.read_bytes(), source=Source.PIPE)
    rows = list(InboundMessage.objects.order_by("pk"))
    assert len(rows) == len(boxes)
    for row in rows:
        assert row.status in (InboundStatus.PROCESSED, InboundStatus.IGNORED, InboundStatus.FAILED)
        if row.status == InboundStatus.PROCESSED:
            assert row.ticket_id is not None and row.article_id is not None, row.subject
    failed = [f"{r.subject}: {r.error.splitlines()[0]}" for r in rows if r.status == "failed"]
    assert not failed, failed
