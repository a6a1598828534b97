from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_quote import CreateQuote
from ...models.problem import Problem
from ...models.quote import Quote
from ...types import Response


def _get_kwargs(
    *,
    body: CreateQuote,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/quotes",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | Quote | None:
    if response.status_code == 201:
        response_201 = Quote.from_dict(response.json())

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
) -> Response[Problem | Quote]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: CreateQuote,
) -> Response[Problem | Quote]:
    """Price a cart and hold those prices for you until `expires_at` (QUOTE_TTL, 15 minutes
    by default). An order citing it (`quote_id`, the same items and quantities) is placed at these
    prices even if the catalog changed since; one order at most. Stock is not held: the order
    reserves it when placed. 422 names unknown products, or items in more than one currency.

    Args:
        body (CreateQuote):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Quote]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: CreateQuote,
) -> Problem | Quote | None:
    """Price a cart and hold those prices for you until `expires_at` (QUOTE_TTL, 15 minutes
    by default). An order citing it (`quote_id`, the same items and quantities) is placed at these
    prices even if the catalog changed since; one order at most. Stock is not held: the order
    reserves it when placed. 422 names unknown products, or items in more than one currency.

    Args:
        body (CreateQuote):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Quote
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CreateQuote,
) -> Response[Problem | Quote]:
    """Price a cart and hold those prices for you until `expires_at` (QUOTE_TTL, 15 minutes
    by default). An order citing it (`quote_id`, the same items and quantities) is placed at these
    prices even if the catalog changed since; one order at most. Stock is not held: the order
    reserves it when placed. 422 names unknown products, or items in more than one currency.

    Args:
        body (CreateQuote):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Quote]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: CreateQuote,
) -> Problem | Quote | None:
    """Price a cart and hold those prices for you until `expires_at` (QUOTE_TTL, 15 minutes
    by default). An order citing it (`quote_id`, the same items and quantities) is placed at these
    prices even if the catalog changed since; one order at most. Stock is not held: the order
    reserves it when placed. 422 names unknown products, or items in more than one currency.

    Args:
        body (CreateQuote):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Quote
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
