"""Reading and normalising LP files: the awkward values real files contain."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.services.import_rules import (
    FileRefused,
    normalise_row,
    parse_money,
    read_csv,
    suggest_mapping,
)


@pytest.mark.parametrize(
    ("text", "millions"),
    [("750", "750"), ("$750m", "750"), ("1.2bn", "1200"), ("$ 1,200", "1200"), ("500k", "0.5"),
     ("2 billion", "2000"), ("USD 40 mn", "40"), ("€3bn", "3000")],
)  # fmt: skip
def test_money_in_the_forms_files_use(text, millions):
    assert parse_money(text) == Decimal(millions)


@pytest.mark.parametrize("text", ["lots", "-5", "12 apples", "9999999bn"])
def test_money_that_is_not_an_amount_is_refused(text):
    with pytest.raises(ValueError):
        parse_money(text)


def test_semicolons_and_latin_1_are_read():
    data = "Name;Type;Country\nFondation Générale;foundation;France\n".encode("latin-1")
    parsed = read_csv(data)
    assert (parsed.encoding, parsed.delimiter) == ("latin-1", ";")
    assert parsed.rows == [["Fondation Générale", "foundation", "France"]]


def test_utf8_with_a_byte_order_mark_is_read():
    parsed = read_csv("\ufeffName,Type\nÅbo Akademi Endowment,endowment\n".encode())
    assert parsed.header == ["Name", "Type"] and parsed.encoding == "utf-8"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Name,Type\n", "at least one LP"),
        ("Name,Type\nA,bank\n".encode("utf-16"), "not a CSV"),
        (b"%PDF-1.7 binary", "not a CSV"),
        (b"PK\x03\x04 an xlsx", "not a CSV"),
        (b"Name\n" + b"x\n" * 10_001, "at most 10,000"),
    ],
)
def test_files_we_cannot_read_are_refused_with_a_reason(data, message):
    with pytest.raises(FileRefused, match=message):
        read_csv(data)


def test_column_names_are_recognised():
    header = [
        "LP Name",
        "Investor Type",
        "HQ Country",
        "AUM ($m)",
        "Preferred Strategies",
        "Min Check",
        "Notes",
        "Colour",
    ]
    assert suggest_mapping(header) == {
        "LP Name": "name", "Investor Type": "lp_type", "HQ Country": "hq_country", "AUM ($m)": "aum_musd",
        "Preferred Strategies": "strategies", "Min Check": "check_size_min_musd", "Notes": "description",
    }  # fmt: skip


def test_a_row_is_normalised_to_our_vocabulary():
    header = ["name", "type", "country", "aum", "strategies", "regions", "esg", "website"]
    mapping = {"name": "name", "type": "lp_type", "country": "hq_country", "aum": "aum_musd",
               "strategies": "strategies", "regions": "geographies", "esg": "esg_required", "website": "website"}  # fmt: skip
    row = [
        "  Smith  Family Office ",
        "SFO",
        "U.K.",
        "$1.5bn",
        "LBO; growth, VC",
        "EMEA; Nordic",
        "yes",
        "smithfo.com",
    ]
    result = normalise_row(row, header, mapping)
    assert result.errors == []
    assert result.values == {
        "name": "Smith Family Office", "lp_type": "family_office", "hq_country": "GB", "aum_musd": Decimal("1500.00"),
        "strategies": ["private_equity/buyout", "private_equity/growth", "venture"],
        "geographies": ["europe", "nordics"], "esg_required": True, "website": "https://smithfo.com",
    }  # fmt: skip
    assert result.domain == "smithfo.com" and result.identity == ("smith family office", "GB")


def test_every_bad_value_in_a_row_is_reported():
    header = ["name", "type", "country", "min", "max", "strategy"]
    mapping = {"type": "lp_type", "country": "hq_country", "min": "check_size_min_musd",
               "max": "check_size_max_musd", "strategy": "strategies", "name": "name"}  # fmt: skip
    result = normalise_row(["", "hedge fund", "Atlantis", "50", "10", "crypto"], header, mapping)
    text = " | ".join(result.errors)
    for expected in ("Name: missing", "'hedge fund' is not an LP type", "'Atlantis' is not a country",
                     "minimum is above the maximum", "unknown strategy: crypto"):  # fmt: skip
        assert expected in text
