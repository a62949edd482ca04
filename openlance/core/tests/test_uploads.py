import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from openlance.core.errors import InvalidInput
from openlance.core.tests.files import fake_image_upload, pdf_upload, png_upload
from openlance.core.uploads import MEGABYTE, checked_attachment, checked_document, reencode_image


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
