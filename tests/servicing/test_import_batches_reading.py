"""Reading a file before any line is checked: the header's errors word for word, the rows as read (blank rows
skipped, short rows filled, line numbers as in the file, any line ending), the file's limits, and a row's errors
as its line's one message."""

import hashlib

import pytest

from servicing.models import ImportLine
from servicing.services import import_batches
from servicing.services.import_batches import ImportFileError, RowCheck, read_rows
from tests.servicing.import_batches_toy import ToyFile

EXPECTED = "Expected columns: ref, amount, loan, note."


def _read(text):
    return [(row.line_number, row.raw, row.errors) for row in read_rows(text, ToyFile())]


def _refused(text):
    with pytest.raises(ImportFileError) as refusal:
        read_rows(text, ToyFile())
    return str(refusal.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty: a header row is required."),
        ("ref\n1\n", f"Header row: missing column(s): amount. {EXPECTED}"),
        ("ref,amount,Colour,size\n", f"Header row: unknown column(s): 'colour', 'size'. {EXPECTED}"),
        ("ref,amount,ref\n", f"Header row: repeated column(s): ref. {EXPECTED}"),
        ("note,ref,amount,note,ref,ref\n", f"Header row: repeated column(s): note, ref. {EXPECTED}"),
        (
            "amount,x,amount\n",
            f"Header row: missing column(s): ref; unknown column(s): 'x'; repeated column(s): amount. {EXPECTED}",
        ),
        ("ref,amount\n\n , \n", "The file has a header but no data rows."),
        ("ref,amount\n" + "x" * 131_073 + ",1\n", "Line 2: not valid CSV (field larger than field limit (131072))."),
    ],
)
def test_a_file_that_cannot_be_read_is_one_exact_refusal(text, message):
    assert _refused(text) == message


def test_header_names_are_trimmed_and_lower_cased():
    assert _read(" REF , Amount\nA1,5\n") == [(2, {"ref": "A1", "amount": "5"}, [])]


def test_a_blank_row_is_skipped_and_the_rows_after_it_keep_their_line_numbers():
    text = "ref,amount\nA1,1\n\n , \nA2,2\n"
    assert _read(text) == [(2, {"ref": "A1", "amount": "1"}, []), (5, {"ref": "A2", "amount": "2"}, [])]


def test_a_short_row_reads_its_missing_values_as_empty_and_a_long_one_is_in_error():
    assert _read("ref,amount,note\nA1\nA2,2,n, extra \n") == [
        (2, {"ref": "A1", "amount": "", "note": ""}, []),
        (3, {"ref": "A2", "amount": "2", "note": "n"}, ["row: 4 values for 3 columns"]),
    ]


def test_any_line_ending_reads_and_a_quoted_value_keeps_its_own_line_breaks():
    assert _read('ref,amount,note\r"A1",1,"two\r\nlines"\rA2,2,x\r') == [
        (2, {"ref": "A1", "amount": "1", "note": "two\r\nlines"}, []),  # a row is numbered by its first line
        (4, {"ref": "A2", "amount": "2", "note": "x"}, []),
    ]


def test_a_row_after_a_blank_line_and_a_value_of_three_lines_is_numbered_by_its_first_line():
    assert [number for number, _, _ in _read('ref,amount,note\nA1,1,"a\nb\nc"\n\nA2,2,x\nA3,3,y\n')] == [2, 6, 7]


def test_a_file_holds_at_most_max_lines_rows(monkeypatch):
    monkeypatch.setattr(import_batches, "MAX_LINES", 2)
    assert [number for number, _, _ in _read("ref,amount\nA1,1\n\nA2,2\n")] == [2, 4]
    assert _refused("ref,amount\nA1,1\nA2,2\nA3,3\n") == "The file has more than 2 rows: split it."


def test_the_file_is_read_as_utf8_with_or_without_a_byte_order_mark_and_its_digest_is_of_the_bytes_sent():
    with_mark = "\ufeffref,amount".encode()
    assert import_batches._decode(with_mark) == ("ref,amount", hashlib.sha256(with_mark).hexdigest())
    assert import_batches._decode("ref,é") == ("ref,é", hashlib.sha256("ref,é".encode()).hexdigest())
    with pytest.raises(ImportFileError, match=r"^The file is not UTF-8 text \(byte 4\)\.$"):
        import_batches._decode(b"ref,\xff")


def test_a_row_in_error_is_one_line_of_every_error_and_keeps_nothing_parsed():
    row = RowCheck(line_number=3, raw={"ref": "x"}, parsed={"ref": "x"}, loan_id=7, transaction_id=9)
    row.error("amount", "required")
    row.error("row", "holds a NUL character")
    assert row.line(5) == (5, 3, {"ref": "x"}, {}, "error", "amount: required; row: holds a NUL character", 7, 9)


def test_a_duplicate_row_keeps_its_message_its_fields_and_the_posting_it_repeats():
    row = RowCheck(line_number=4, raw={"ref": "x"}, parsed={"ref": "x"}, status=ImportLine.Status.DUPLICATE)
    row.message, row.transaction_id = "already posted", 11
    assert row.line(5) == (5, 4, {"ref": "x"}, {"ref": "x"}, "duplicate", "already posted", None, 11)
