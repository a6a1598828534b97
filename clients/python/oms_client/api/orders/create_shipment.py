from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_shipment import CreateShipment
from ...models.problem import Problem
from ...models.shipment import Shipment
from ...types import Response


def _get_kwargs(
    order_id: str,
    *,
    body: CreateShipment,
    idempotency_key: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/orders/{order_id}/shipments".format(
            order_id=quote(str(order_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | Shipment | None:
    if response.status_code == 201:
        response_201 = Shipment.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | Shipment]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateShipment,
    idempotency_key: str,
) -> Response[Problem | Shipment]:
    """Ship some lines of a confirmed order in one parcel, with its carrier and tracking number
    (admin). The parcel's amount is captured from the payment's authorization first (re-authorized
    if it expired): a failed capture is a 409 and nothing ships. 409 `NotEnoughToShip` names a
    line asked beyond what remains to ship. The same Idempotency-Key answers the same shipment;
    503 while payments can't answer (the shipment completes by itself, or on a retry).

    Args:
        order_id (str):
        idempotency_key (str):
        body (CreateShipment):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Shipment]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    order_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateShipment,
    idempotency_key: str,
) -> Problem | Shipment | None:
    """Ship some lines of a confirmed order in one parcel, with its carrier and tracking number
    (admin). The parcel's amount is captured from the payment's authorization first (re-authorized
    if it expired): a failed capture is a 409 and nothing ships. 409 `NotEnoughToShip` names a
    line asked beyond what remains to ship. The same Idempotency-Key answers the same shipment;
    503 while payments can't answer (the shipment completes by itself, or on a retry).

    Args:
        order_id (str):
        idempotency_key (str):
        body (CreateShipment):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Shipment
    """

    return sync_detailed(
        order_id=order_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateShipment,
    idempotency_key: str,
) -> Response[Problem | Shipment]:
    """Ship some lines of a confirmed order in one parcel, with its carrier and tracking number
    (admin). The parcel's amount is captured from the payment's authorization first (re-authorized
    if it expired): a failed capture is a 409 and nothing ships. 409 `NotEnoughToShip` names a
    line asked beyond what remains to ship. The same Idempotency-Key answers the same shipment;
    503 while payments can't answer (the shipment completes by itself, or on a retry).

    Args:
        order_id (str):
        idempotency_key (str):
        body (CreateShipment):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Shipment]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    order_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateShipment,
    idempotency_key: str,
) -> Problem | Shipment | None:
    """Ship some lines of a confirmed order in one parcel, with its carrier and tracking number
    (admin). The parcel's amount is captured from the payment's authorization first (re-authorized
    if it expired): a failed capture is a 409 and nothing ships. 409 `NotEnoughToShip` names a
    line asked beyond what remains to ship. The same Idempotency-Key answers the same shipment;
    503 while payments can't answer (the shipment completes by itself, or on a retry).

    Args:
        order_id (str):
        idempotency_key (str):
        body (CreateShipment):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Shipment
    """

    return (
        await asyncio_detailed(
            order_id=order_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
