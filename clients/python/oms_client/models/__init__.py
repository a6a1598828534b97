"""Contains all the data models used in inputs/outputs"""

from .address import Address
from .attempt import Attempt
from .attempt_request_headers import AttemptRequestHeaders
from .buyer import Buyer
from .cancel_items import CancelItems
from .check_token_body import CheckTokenBody
from .create_order import CreateOrder
from .create_quote import CreateQuote
from .create_shipment import CreateShipment
from .credit_note import CreditNote
from .credit_note_page import CreditNotePage
from .delivery import Delivery
from .delivery_page import DeliveryPage
from .delivery_with_attempts import DeliveryWithAttempts
from .document_line import DocumentLine
from .endpoint import Endpoint
from .endpoint_create import EndpointCreate
from .endpoint_create_event_types_item import EndpointCreateEventTypesItem
from .endpoint_page import EndpointPage
from .endpoint_update import EndpointUpdate
from .endpoint_update_event_types_item import EndpointUpdateEventTypesItem
from .endpoint_with_secret import EndpointWithSecret
from .export_orders_format import ExportOrdersFormat
from .export_orders_status import ExportOrdersStatus
from .health import Health
from .health_status import HealthStatus
from .history_entry import HistoryEntry
from .history_entry_page import HistoryEntryPage
from .introspect_token_body import IntrospectTokenBody
from .introspection import Introspection
from .invoice import Invoice
from .invoice_page import InvoicePage
from .issue_client_token_body import IssueClientTokenBody
from .issue_client_token_body_grant_type import IssueClientTokenBodyGrantType
from .issue_document import IssueDocument
from .line_quantity import LineQuantity
from .list_orders_status import ListOrdersStatus
from .list_products_currency import ListProductsCurrency
from .list_webhook_deliveries_status import ListWebhookDeliveriesStatus
from .login import Login
from .notification import Notification
from .notification_page import NotificationPage
from .o_auth_client import OAuthClient
from .o_auth_client_create import OAuthClientCreate
from .o_auth_client_create_scopes_item import OAuthClientCreateScopesItem
from .o_auth_client_page import OAuthClientPage
from .o_auth_client_token import OAuthClientToken
from .o_auth_client_with_secret import OAuthClientWithSecret
from .o_auth_error import OAuthError
from .order import Order
from .order_documents import OrderDocuments
from .order_item import OrderItem
from .order_line_request import OrderLineRequest
from .order_page import OrderPage
from .pagination_metadata import PaginationMetadata
from .payment import Payment
from .payment_operation import PaymentOperation
from .payment_operation_status import PaymentOperationStatus
from .payment_operation_type import PaymentOperationType
from .payment_status import PaymentStatus
from .price_change import PriceChange
from .price_change_page import PriceChangePage
from .problem import Problem
from .problem_errors import ProblemErrors
from .product import Product
from .product_create import ProductCreate
from .product_create_currency import ProductCreateCurrency
from .product_page import ProductPage
from .product_update import ProductUpdate
from .product_update_currency import ProductUpdateCurrency
from .quote import Quote
from .quote_line import QuoteLine
from .read_model import ReadModel
from .readiness import Readiness
from .readiness_services import ReadinessServices
from .readiness_status import ReadinessStatus
from .reason import Reason
from .receive_return import ReceiveReturn
from .received_line import ReceivedLine
from .refresh_token import RefreshToken
from .refund_request import RefundRequest
from .register import Register
from .replay import Replay
from .replayed import Replayed
from .request_return import RequestReturn
from .return_ import Return
from .return_item import ReturnItem
from .return_line_request import ReturnLineRequest
from .return_line_request_reason import ReturnLineRequestReason
from .return_status import ReturnStatus
from .rotate_secret import RotateSecret
from .seller import Seller
from .shipment import Shipment
from .shipment_item import ShipmentItem
from .shipment_status import ShipmentStatus
from .stock import Stock
from .tax_breakdown import TaxBreakdown
from .token_pair import TokenPair
from .update_order import UpdateOrder
from .user import User
from .user_page import UserPage
from .user_update import UserUpdate
from .user_update_role import UserUpdateRole

__all__ = (
    "Address",
    "Attempt",
    "AttemptRequestHeaders",
    "Buyer",
    "CancelItems",
    "CheckTokenBody",
    "CreateOrder",
    "CreateQuote",
    "CreateShipment",
    "CreditNote",
    "CreditNotePage",
    "Delivery",
    "DeliveryPage",
    "DeliveryWithAttempts",
    "DocumentLine",
    "Endpoint",
    "EndpointCreate",
    "EndpointCreateEventTypesItem",
    "EndpointPage",
    "EndpointUpdate",
    "EndpointUpdateEventTypesItem",
    "EndpointWithSecret",
    "ExportOrdersFormat",
    "ExportOrdersStatus",
    "Health",
    "HealthStatus",
    "HistoryEntry",
    "HistoryEntryPage",
    "Introspection",
    "IntrospectTokenBody",
    "Invoice",
    "InvoicePage",
    "IssueClientTokenBody",
    "IssueClientTokenBodyGrantType",
    "IssueDocument",
    "LineQuantity",
    "ListOrdersStatus",
    "ListProductsCurrency",
    "ListWebhookDeliveriesStatus",
    "Login",
    "Notification",
    "NotificationPage",
    "OAuthClient",
    "OAuthClientCreate",
    "OAuthClientCreateScopesItem",
    "OAuthClientPage",
    "OAuthClientToken",
    "OAuthClientWithSecret",
    "OAuthError",
    "Order",
    "OrderDocuments",
    "OrderItem",
    "OrderLineRequest",
    "OrderPage",
    "PaginationMetadata",
    "Payment",
    "PaymentOperation",
    "PaymentOperationStatus",
    "PaymentOperationType",
    "PaymentStatus",
    "PriceChange",
    "PriceChangePage",
    "Problem",
    "ProblemErrors",
    "Product",
    "ProductCreate",
    "ProductCreateCurrency",
    "ProductPage",
    "ProductUpdate",
    "ProductUpdateCurrency",
    "Quote",
    "QuoteLine",
    "Readiness",
    "ReadinessServices",
    "ReadinessStatus",
    "ReadModel",
    "Reason",
    "ReceivedLine",
    "ReceiveReturn",
    "RefreshToken",
    "RefundRequest",
    "Register",
    "Replay",
    "Replayed",
    "RequestReturn",
    "Return",
    "ReturnItem",
    "ReturnLineRequest",
    "ReturnLineRequestReason",
    "ReturnStatus",
    "RotateSecret",
    "Seller",
    "Shipment",
    "ShipmentItem",
    "ShipmentStatus",
    "Stock",
    "TaxBreakdown",
    "TokenPair",
    "UpdateOrder",
    "User",
    "UserPage",
    "UserUpdate",
    "UserUpdateRole",
)
