from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.credit_note import CreditNote
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    order_id: str,
    *,
    number: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["number"] = number

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/orders/{order_id}/credit-note".format(
            order_id=quote(str(order_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreditNote | Problem | None:
    if response.status_code == 200:
        response_200 = CreditNote.from_dict(response.json())

        return response_200

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
) -> Response[CreditNote | Problem]:
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
    number: str | Unset = UNSET,
) -> Response[CreditNote | Problem]:
    """The order's latest credit note, or its credit note of `number` (each refund issues one). 404 until
    the order is refunded, for a number not the order's, or if the order isn't yours.

    Args:
        order_id (str):
        number (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreditNote | Problem]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        number=number,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    order_id: str,
    *,
    client: AuthenticatedClient,
    number: str | Unset = UNSET,
) -> CreditNote | Problem | None:
    """The order's latest credit note, or its credit note of `number` (each refund issues one). 404 until
    the order is refunded, for a number not the order's, or if the order isn't yours.

    Args:
        order_id (str):
        number (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreditNote | Problem
    """

    return sync_detailed(
        order_id=order_id,
        client=client,
        number=number,
    ).parsed


async def asyncio_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    number: str | Unset = UNSET,
) -> Response[CreditNote | Problem]:
    """The order's latest credit note, or its credit note of `number` (each refund issues one). 404 until
    the order is refunded, for a number not the order's, or if the order isn't yours.

    Args:
        order_id (str):
        number (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreditNote | Problem]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        number=number,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    order_id: str,
    *,
    client: AuthenticatedClient,
    number: str | Unset = UNSET,
) -> CreditNote | Problem | None:
    """The order's latest credit note, or its credit note of `number` (each refund issues one). 404 until
    the order is refunded, for a number not the order's, or if the order isn't yours.

    Args:
        order_id (str):
        number (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreditNote | Problem
    """

    return (
        await asyncio_detailed(
            order_id=order_id,
            client=client,
            number=number,
        )
    ).parsed
