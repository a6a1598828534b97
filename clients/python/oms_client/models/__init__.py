"""Contains all the data models used in inputs/outputs"""

from .address import Address
from .buyer import Buyer
from .create_order import CreateOrder
from .credit_note import CreditNote
from .credit_note_page import CreditNotePage
from .document_line import DocumentLine
from .get_api_v1_orders_export_format import GetApiV1OrdersExportFormat
from .get_api_v1_orders_export_status import GetApiV1OrdersExportStatus
from .get_api_v1_orders_status import GetApiV1OrdersStatus
from .get_api_v1_products_currency import GetApiV1ProductsCurrency
from .health import Health
from .health_status import HealthStatus
from .history_entry import HistoryEntry
from .introspection import Introspection
from .invoice import Invoice
from .invoice_page import InvoicePage
from .issue_document import IssueDocument
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
from .order_item import OrderItem
from .order_line_request import OrderLineRequest
from .order_page import OrderPage
from .order_shipping_address import OrderShippingAddress
from .pagination_metadata import PaginationMetadata
from .payment import Payment
from .post_oauth_check_token_body import PostOauthCheckTokenBody
from .post_oauth_introspect_body import PostOauthIntrospectBody
from .post_oauth_token_body import PostOauthTokenBody
from .post_oauth_token_body_grant_type import PostOauthTokenBodyGrantType
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
from .read_model import ReadModel
from .readiness import Readiness
from .readiness_read_model_type_1_type_0 import ReadinessReadModelType1Type0
from .readiness_services import ReadinessServices
from .readiness_status import ReadinessStatus
from .reason import Reason
from .refresh_token import RefreshToken
from .register import Register
from .seller import Seller
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
    "Buyer",
    "CreateOrder",
    "CreditNote",
    "CreditNotePage",
    "DocumentLine",
    "GetApiV1OrdersExportFormat",
    "GetApiV1OrdersExportStatus",
    "GetApiV1OrdersStatus",
    "GetApiV1ProductsCurrency",
    "Health",
    "HealthStatus",
    "HistoryEntry",
    "Introspection",
    "Invoice",
    "InvoicePage",
    "IssueDocument",
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
    "OrderItem",
    "OrderLineRequest",
    "OrderPage",
    "OrderShippingAddress",
    "PaginationMetadata",
    "Payment",
    "PostOauthCheckTokenBody",
    "PostOauthIntrospectBody",
    "PostOauthTokenBody",
    "PostOauthTokenBodyGrantType",
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
    "Readiness",
    "ReadinessReadModelType1Type0",
    "ReadinessServices",
    "ReadinessStatus",
    "ReadModel",
    "Reason",
    "RefreshToken",
    "Register",
    "Seller",
    "Stock",
    "TaxBreakdown",
    "TokenPair",
    "UpdateOrder",
    "User",
    "UserPage",
    "UserUpdate",
    "UserUpdateRole",
)
