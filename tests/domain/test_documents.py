"""The documents' plain data live in domain/documents.py; the reports modules re-export the same classes."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from booking_app.domain import documents
from booking_app.reports import accident_pdf, docs, insurance_pdf, member_cards

REEXPORTS = [
    (docs, ("Issuer", "DocLine", "ReceiptDoc", "SlipDoc", "CashupRow", "CashupDoc")),
    (member_cards, ("CardData", "CARD_PREFIX")),
    (insurance_pdf, ("CertPerson", "CertificateDoc", "EnrolmentRow", "RosterRow", "PlanTotal", "LedgerDoc")),
    (accident_pdf, ("AccidentReportDoc",)),
]


@pytest.mark.parametrize("module,names", REEXPORTS, ids=lambda v: getattr(v, "__name__", ""))
def test_reports_re_export_the_domain_classes(module, names):
    for name in names:
        assert getattr(module, name) is getattr(documents, name), f"{module.__name__}.{name}"


def test_every_document_class_is_a_frozen_dataclass():
    classes = [v for v in vars(documents).values() if isinstance(v, type) and v.__module__ == documents.__name__]
    assert len(classes) == 23  # … RefundDoc (還付, issue 18)
    for cls in classes:
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls.__name__


def test_card_qr_value_uses_the_prefix_the_scanner_reads():
    from booking_app.services.groups import CARD_PREFIX

    card = documents.CardData(reg_no="0012", name="ふくふく会", kana="フクフクカイ", group_type_label="市民活動団体",
                              valid_until=date(2027, 3, 31), centre_name="ふくふく市民活動センター")
    assert documents.CARD_PREFIX == CARD_PREFIX
    assert card.qr_value == "FKG:0012"
