import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile
from pypdf import PdfWriter

from openlance.core.errors import InvalidInput
from openlance.core.tests.files import (
    fake_image_upload,
    pdf_bytes,
    pdf_upload,
    png_header_only,
    png_upload,
)
from openlance.core.uploads import (
    MEGABYTE,
    checked_attachment,
    checked_document,
    pdf_page_count,
    reencode_image,
)


def test_image_is_reencoded_without_metadata_and_shrunk():
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "secret location"
    Image.new("RGB", (3000, 1000), "red").save(buffer, format="JPEG", exif=exif)
    upload = SimpleUploadedFile("big.jpg", buffer.getvalue(), content_type="image/jpeg")
    clean = reencode_image(upload, field="photo", max_side=800)
    with Image.open(io.BytesIO(clean.read())) as result:
        assert result.width == 800
        assert result.height in (266, 267)
        assert not result.getexif()
    assert clean.name == "big.jpg"


def test_transparent_png_stays_png():
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(buffer, format="PNG")
    clean = reencode_image(SimpleUploadedFile("logo.png", buffer.getvalue()), field="image")
    assert clean.name == "logo.png"


def test_non_image_is_refused_with_a_field_error():
    with pytest.raises(InvalidInput) as refused:
        reencode_image(fake_image_upload(), field="photo")
    assert "photo" in refused.value.field_errors


def test_size_limit():
    with pytest.raises(InvalidInput, match="larger than 1 MB"):
        reencode_image(
            SimpleUploadedFile("huge.png", b"x" * (MEGABYTE + 1)), field="photo", max_bytes=MEGABYTE
        )


def test_documents_pdf_or_image_only():
    assert checked_document(pdf_upload(), field="doc").name == "document.pdf"
    assert checked_document(png_upload(), field="doc").name == "photo.jpg"
    with pytest.raises(InvalidInput) as refused:
        checked_document(fake_image_upload("id.pdf"), field="doc")
    assert "doc" in refused.value.field_errors


@pytest.mark.parametrize(
    ("make", "sent_as", "name", "content_type"),
    [
        (pdf_upload, "Brief v2.pdf", "Brief v2.pdf", "application/pdf"),
        (png_upload, "mock.gif", "mock.jpg", "image/jpeg"),
    ],
)
def test_an_attachment_is_named_and_typed_by_what_it_really_is(make, sent_as, name, content_type):
    document = checked_attachment(make(sent_as), field="attachments")
    assert (document.name, document.content_type) == (name, content_type)
    assert document.size == len(document.content.read())


def test_a_transparent_image_attachment_is_a_png():
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(buffer, format="PNG")
    document = checked_attachment(SimpleUploadedFile("logo", buffer.getvalue()), field="file")
    assert (document.name, document.content_type) == ("logo.png", "image/png")


# Each upload is parsed as what it claims to be (issue 11).

HTML_CLAIMING_PDF = b"%PDF-1.7\n<html><body><script>alert(document.cookie)</script></body></html>\n"
# The "PDF" the tests and demo data used to send: the right first bytes and nothing more.
PDF_LOOKALIKE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def _no_decoding(monkeypatch):
    """Make any attempt to decode pixel data fail the test."""

    def load(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


@pytest.mark.parametrize("body", [HTML_CLAIMING_PDF, PDF_LOOKALIKE, pdf_bytes()[:200]])
def test_a_file_that_only_starts_like_a_pdf_is_refused(body):
    upload = SimpleUploadedFile("cv.pdf", body, content_type="application/pdf")
    with pytest.raises(InvalidInput, match="not a PDF we can read") as refused:
        checked_attachment(upload, field="attachments")
    assert refused.value.field_errors == {"attachments": ["That file is not a PDF we can read."]}


def test_a_real_pdf_is_accepted_and_kept_as_sent():
    body = pdf_bytes(pages=3)
    assert pdf_page_count(body) == 3
    document = checked_attachment(
        SimpleUploadedFile("Brief.pdf", body, content_type="application/pdf"), field="file"
    )
    assert (document.name, document.content_type) == ("Brief.pdf", "application/pdf")
    assert document.content.read() == body


def test_a_pdf_written_by_another_library_with_junk_after_the_end_is_accepted():
    """Lenient parsing: real-world PDFs often carry bytes after %%EOF."""
    body = pdf_bytes() + b"\r\n\x00\x00 trailing garbage from a mail client\n"
    assert checked_document(SimpleUploadedFile("a.pdf", body), field="doc").name == "a.pdf"


def _encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_pdf_that_needs_a_password_to_open_is_refused():
    upload = SimpleUploadedFile("locked.pdf", _encrypted_pdf("secret"))
    with pytest.raises(InvalidInput, match="Password-protected") as refused:
        checked_document(upload, field="doc")
    assert "doc" in refused.value.field_errors


def test_a_pdf_with_only_an_owner_password_opens_and_is_accepted():
    upload = SimpleUploadedFile("no-print.pdf", _encrypted_pdf(""))
    assert checked_document(upload, field="doc").name == "no-print.pdf"


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (6200, 6200),  # 38 megapixels: seconds to decode
        (16_001, 1000),  # just over the budget
        (100_000, 100_000),  # ten gigapixels: Pillow's own bomb alarm
    ],
)
def test_an_image_with_too_many_pixels_is_refused_from_its_header(monkeypatch, width, height):
    _no_decoding(monkeypatch)
    body = png_header_only(width, height)
    assert len(body) < 100
    with pytest.raises(InvalidInput, match="too many pixels: at most 16 megapixels") as refused:
        reencode_image(SimpleUploadedFile("huge.png", body), field="photo")
    assert refused.value.field_errors == {"photo": ["At most 16 megapixels."]}
    with pytest.raises(InvalidInput, match="too many pixels") as refused:
        checked_attachment(SimpleUploadedFile("huge.png", body), field="attachments")
    assert "attachments" in refused.value.field_errors


def test_an_image_within_the_budget_is_not_refused_for_its_size():
    """At the budget the header passes; (this tiny-data PNG then fails to decode, which is
    "not an image", not "too many pixels")."""
    with pytest.raises(InvalidInput, match="not an image we can read"):
        reencode_image(SimpleUploadedFile("ok.png", png_header_only(4000, 4000)), field="photo")


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) is rewritten to claim width x height."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "navy").save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_a_jpeg_photo_may_have_more_pixels_than_other_images(monkeypatch):
    """Up to 25 megapixels: a JPEG decodes cheaply, and often straight at a reduced size."""
    _no_decoding(monkeypatch)
    with pytest.raises(InvalidInput, match="at most 25 megapixels for a JPEG") as refused:
        reencode_image(SimpleUploadedFile("big.jpg", _jpeg_claiming(6000, 4200)), field="photo")
    assert refused.value.field_errors == {"photo": ["At most 25 megapixels."]}
    with pytest.raises(AssertionError, match="decoded"):  # 20 MP passed the budget
        reencode_image(SimpleUploadedFile("ok.jpg", _jpeg_claiming(5000, 4000)), field="photo")


def test_a_palette_image_stays_a_png_and_a_cmyk_jpeg_becomes_rgb():
    buffer = io.BytesIO()
    Image.new("P", (40, 40), 3).save(buffer, format="GIF")
    assert reencode_image(SimpleUploadedFile("a.gif", buffer.getvalue()), field="f").name == "a.png"
    buffer = io.BytesIO()
    Image.new("CMYK", (3000, 40), (0, 255, 0, 0)).save(buffer, format="JPEG")
    clean = reencode_image(SimpleUploadedFile("c.jpg", buffer.getvalue()), field="f", max_side=300)
    with Image.open(io.BytesIO(clean.read())) as result:
        assert (result.mode, result.size) == ("RGB", (300, 4))


def test_a_pdf_with_more_objects_than_any_document_needs_is_refused_before_parsing(monkeypatch):
    import openlance.core.uploads as uploads

    def no_parsing(*args, **kwargs):
        raise AssertionError("pypdf was asked to parse it")

    monkeypatch.setattr(uploads, "PdfReader", no_parsing)
    body = b"%PDF-1.4\n" + b"1 0 obj 0 endobj\n" * (uploads.MAX_PDF_OBJECTS + 1) + b"%%EOF\n"
    with pytest.raises(InvalidInput, match="too many parts") as refused:
        checked_document(SimpleUploadedFile("big.pdf", body), field="doc")
    assert "doc" in refused.value.field_errors


def _pdf_with_a_garbage_xref_table(entries: int) -> bytes:
    """A PDF whose cross-reference table declares `entries` malformed entries: each costs
    pypdf a recovery attempt, in Python (about 4 us each, so 450,000 of them in 9 MB would
    cost two seconds)."""
    head = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Count 1 /Kids [3 0 R] >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n"
    )
    table = b"xref 0 %d " % entries + b"000000000a 00000 n  " * entries
    trailer = b"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % len(head)
    return head + table + trailer


def test_checking_a_pdf_stops_when_its_cpu_budget_is_spent(monkeypatch):
    import openlance.core.uploads as uploads

    body = _pdf_with_a_garbage_xref_table(5_000)
    assert pdf_page_count(body) == 1  # lenient: recovers, within the budget
    monkeypatch.setattr(uploads, "PDF_CPU_SECONDS", 0.0)
    with pytest.raises(InvalidInput, match="too many parts"):
        pdf_page_count(body)


def test_a_pdf_without_an_end_of_file_marker_near_its_end_is_refused():
    with pytest.raises(InvalidInput, match="not a PDF we can read"):
        pdf_page_count(pdf_bytes() + b"\0" * (128 * 1024))
