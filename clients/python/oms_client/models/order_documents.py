from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.credit_note import CreditNote
    from ..models.invoice import Invoice


T = TypeVar("T", bound="OrderDocuments")


@_attrs_define
class OrderDocuments:
    """
    Attributes:
        credit_notes (list[CreditNote]): one per refund, oldest first
        invoices (list[Invoice]): one per capture, oldest first
    """

    credit_notes: list[CreditNote]
    invoices: list[Invoice]

    def to_dict(self) -> dict[str, Any]:
        credit_notes = []
        for credit_notes_item_data in self.credit_notes:
            credit_notes_item = credit_notes_item_data.to_dict()
            credit_notes.append(credit_notes_item)

        invoices = []
        for invoices_item_data in self.invoices:
            invoices_item = invoices_item_data.to_dict()
            invoices.append(invoices_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "credit_notes": credit_notes,
                "invoices": invoices,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.credit_note import CreditNote  # noqa: PLC0415
        from ..models.invoice import Invoice  # noqa: PLC0415

        d = dict(src_dict)
        credit_notes = []
        _credit_notes = d.pop("credit_notes")
        for credit_notes_item_data in _credit_notes:
            credit_notes_item = CreditNote.from_dict(credit_notes_item_data)

            credit_notes.append(credit_notes_item)

        invoices = []
        _invoices = d.pop("invoices")
        for invoices_item_data in _invoices:
            invoices_item = Invoice.from_dict(invoices_item_data)

            invoices.append(invoices_item)

        order_documents = cls(
            credit_notes=credit_notes,
            invoices=invoices,
        )

        return order_documents
