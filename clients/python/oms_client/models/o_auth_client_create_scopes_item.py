from enum import StrEnum


class OAuthClientCreateScopesItem(StrEnum):
    CATALOGWRITE = "catalog:write"
    INVOICESREAD = "invoices:read"
    ORDERSFULFIL = "orders:fulfil"
    ORDERSREAD = "orders:read"
    ORDERSRESERVATIONS = "orders:reservations"
    PAYMENTSCAPTURE = "payments:capture"
    PAYMENTSREFUND = "payments:refund"
    STOCKRELEASE = "stock:release"
    STOCKRESERVE = "stock:reserve"
    STOCKWRITE = "stock:write"
    USERSREAD = "users:read"
    WEBHOOKSMANAGE = "webhooks:manage"

    def __str__(self) -> str:
        return str(self.value)
