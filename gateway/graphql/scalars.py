"""The scalars and enums answers and filters share: a status is the same `OrderStatus` value
whichever way it travels, and money is one `Money` scalar, a decimal string, in both."""

import re
from decimal import Decimal
from enum import Enum
from typing import NewType

import strawberry
from graphql import GraphQLError

from contracts.orders import OrderStatus as OrderStatusValues
from contracts.orders import ReturnStatus as ReturnStatusValues
from contracts.orders import ShipmentStatus as ShipmentStatusValues
from contracts.payments import OperationStatus, OperationType
from gateway.graphql.limits import BAD_USER_INPUT
from wire.money import AMOUNT_PATTERN, MAX_AMOUNT


def _copy(name: str, values: type[Enum]) -> type[Enum]:
    """A copy of the contract's enum: strawberry.enum would mark the contract's class itself."""
    return strawberry.enum(Enum(name, {member.name: member.value for member in values}))


OrderStatus = _copy("OrderStatus", OrderStatusValues)
ShipmentStatus = _copy("ShipmentStatus", ShipmentStatusValues)
ReturnStatus = _copy("ReturnStatus", ReturnStatusValues)
PaymentOperationType = _copy("PaymentOperationType", OperationType)
PaymentOperationStatus = _copy("PaymentOperationStatus", OperationStatus)

Money = NewType("Money", str)
_AMOUNT = re.compile(AMOUNT_PATTERN)


def order_status(value: str) -> Enum:
    """The enum member for a status as the read side stores it ("pending_payment")."""
    return OrderStatus(value)


def _parse_money(value: object) -> Decimal:
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value) or Decimal(value) > MAX_AMOUNT:
        # A GraphQLError keeps its code whether the value came as a literal or in a variable.
        raise GraphQLError(
            f"Money is a decimal string from 0 to {MAX_AMOUNT} with at most two decimal places, such as \"19.99\".",
            extensions={"code": BAD_USER_INPUT},
        )
    return Decimal(value)


MONEY = strawberry.scalar(
    name="Money",
    description=f"An amount as a decimal string with at most two decimal places, 0 to {MAX_AMOUNT} "
                "(\"19.99\"); answers always have two. Its currency is the `currency` beside it.",
    serialize=str,
    parse_value=_parse_money,
)
SCALARS = {Money: MONEY}
