"""What the printed documents say, as plain data: services gather it, reports lay it out.

The classes live in ``booking_app.domain.documents`` (below both services and reports, so services build
them without importing reports); this module re-exports them under their old names.
"""

from booking_app.domain.documents import CashupDoc as CashupDoc
from booking_app.domain.documents import CashupRow as CashupRow
from booking_app.domain.documents import DocLine as DocLine
from booking_app.domain.documents import Issuer as Issuer
from booking_app.domain.documents import ReceiptDoc as ReceiptDoc
from booking_app.domain.documents import RefundDoc as RefundDoc
from booking_app.domain.documents import SlipDoc as SlipDoc

__all__ = ["CashupDoc", "CashupRow", "DocLine", "Issuer", "ReceiptDoc", "RefundDoc", "SlipDoc"]
