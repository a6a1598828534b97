from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.buyer import Buyer
    from ..models.document_line import DocumentLine
    from ..models.seller import Seller
    from ..models.tax_breakdown import TaxBreakdown


T = TypeVar("T", bound="CreditNote")


@_attrs_define
class CreditNote:
    """
    Attributes:
        buyer (Buyer):
        currency (str):
        gross_total (str): the order's total Example: 3.19.
        id (str):
        invoice_number (str):  Example: INV-2026-000001.
        issued_at (datetime.datetime):
        lines (list[DocumentLine]):
        net_total (str):  Example: 3.19.
        number (str):  Example: INV-2026-000001.
        order_id (str):
        reason (str):
        refund_reference (str):
        seller (Seller):
        tax_total (str):  Example: 3.19.
        taxes (list[TaxBreakdown]): per rate, highest first
        user_id (str):
    """

    buyer: Buyer
    currency: str
    gross_total: str
    id: str
    invoice_number: str
    issued_at: datetime.datetime
    lines: list[DocumentLine]
    net_total: str
    number: str
    order_id: str
    reason: str
    refund_reference: str
    seller: Seller
    tax_total: str
    taxes: list[TaxBreakdown]
    user_id: str

    def to_dict(self) -> dict[str, Any]:
        buyer = self.buyer.to_dict()

        currency = self.currency

        gross_total = self.gross_total

        id = self.id

        invoice_number = self.invoice_number

        issued_at = self.issued_at.isoformat()

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        net_total = self.net_total

        number = self.number

        order_id = self.order_id

        reason = self.reason

        refund_reference = self.refund_reference

        seller = self.seller.to_dict()

        tax_total = self.tax_total

        taxes = []
        for taxes_item_data in self.taxes:
            taxes_item = taxes_item_data.to_dict()
            taxes.append(taxes_item)

        user_id = self.user_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "buyer": buyer,
                "currency": currency,
                "gross_total": gross_total,
                "id": id,
                "invoice_number": invoice_number,
                "issued_at": issued_at,
                "lines": lines,
                "net_total": net_total,
                "number": number,
                "order_id": order_id,
                "reason": reason,
                "refund_reference": refund_reference,
                "seller": seller,
                "tax_total": tax_total,
                "taxes": taxes,
                "user_id": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.buyer import Buyer  # noqa: PLC0415
        from ..models.document_line import DocumentLine  # noqa: PLC0415
        from ..models.seller import Seller  # noqa: PLC0415
        from ..models.tax_breakdown import TaxBreakdown  # noqa: PLC0415

        d = dict(src_dict)
        buyer = Buyer.from_dict(d.pop("buyer"))

        currency = d.pop("currency")

        gross_total = d.pop("gross_total")

        id = d.pop("id")

        invoice_number = d.pop("invoice_number")

        issued_at = datetime.datetime.fromisoformat(d.pop("issued_at"))

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = DocumentLine.from_dict(lines_item_data)

            lines.append(lines_item)

        net_total = d.pop("net_total")

        number = d.pop("number")

        order_id = d.pop("order_id")

        reason = d.pop("reason")

        refund_reference = d.pop("refund_reference")

        seller = Seller.from_dict(d.pop("seller"))

        tax_total = d.pop("tax_total")

        taxes = []
        _taxes = d.pop("taxes")
        for taxes_item_data in _taxes:
            taxes_item = TaxBreakdown.from_dict(taxes_item_data)

            taxes.append(taxes_item)

        user_id = d.pop("user_id")

        credit_note = cls(
            buyer=buyer,
            currency=currency,
            gross_total=gross_total,
            id=id,
            invoice_number=invoice_number,
            issued_at=issued_at,
            lines=lines,
            net_total=net_total,
            number=number,
            order_id=order_id,
            reason=reason,
            refund_reference=refund_reference,
            seller=seller,
            tax_total=tax_total,
            taxes=taxes,
            user_id=user_id,
        )

        return credit_note
