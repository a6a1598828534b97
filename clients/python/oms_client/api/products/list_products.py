from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.list_products_currency import ListProductsCurrency
from ...models.problem import Problem
from ...models.product_page import ProductPage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    q: str | Unset = UNSET,
    min_price: str | Unset = UNSET,
    max_price: str | Unset = UNSET,
    in_stock: bool | Unset = UNSET,
    currency: ListProductsCurrency | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["page"] = page

    params["page_size"] = page_size

    params["q"] = q

    params["min_price"] = min_price

    params["max_price"] = max_price

    params["in_stock"] = in_stock

    json_currency: str | Unset = UNSET
    if not isinstance(currency, Unset):
        json_currency = currency.value

    params["currency"] = json_currency

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/products",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | ProductPage | None:
    if response.status_code == 200:
        response_200 = ProductPage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

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
) -> Response[Problem | ProductPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    q: str | Unset = UNSET,
    min_price: str | Unset = UNSET,
    max_price: str | Unset = UNSET,
    in_stock: bool | Unset = UNSET,
    currency: ListProductsCurrency | Unset = UNSET,
) -> Response[Problem | ProductPage]:
    """Products, newest first; `q` searches name and description (best match first);
    filter by `min_price`, `max_price`, `currency`, `in_stock`. Pages are cached for the
    catalog's current generation: a product change, stock included, is seen by the next search.

    Args:
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        q (str | Unset):
        min_price (str | Unset):  Example: 19.99.
        max_price (str | Unset):  Example: 19.99.
        in_stock (bool | Unset):
        currency (ListProductsCurrency | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ProductPage]
    """

    kwargs = _get_kwargs(
        page=page,
        page_size=page_size,
        q=q,
        min_price=min_price,
        max_price=max_price,
        in_stock=in_stock,
        currency=currency,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    q: str | Unset = UNSET,
    min_price: str | Unset = UNSET,
    max_price: str | Unset = UNSET,
    in_stock: bool | Unset = UNSET,
    currency: ListProductsCurrency | Unset = UNSET,
) -> Problem | ProductPage | None:
    """Products, newest first; `q` searches name and description (best match first);
    filter by `min_price`, `max_price`, `currency`, `in_stock`. Pages are cached for the
    catalog's current generation: a product change, stock included, is seen by the next search.

    Args:
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        q (str | Unset):
        min_price (str | Unset):  Example: 19.99.
        max_price (str | Unset):  Example: 19.99.
        in_stock (bool | Unset):
        currency (ListProductsCurrency | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ProductPage
    """

    return sync_detailed(
        client=client,
        page=page,
        page_size=page_size,
        q=q,
        min_price=min_price,
        max_price=max_price,
        in_stock=in_stock,
        currency=currency,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    q: str | Unset = UNSET,
    min_price: str | Unset = UNSET,
    max_price: str | Unset = UNSET,
    in_stock: bool | Unset = UNSET,
    currency: ListProductsCurrency | Unset = UNSET,
) -> Response[Problem | ProductPage]:
    """Products, newest first; `q` searches name and description (best match first);
    filter by `min_price`, `max_price`, `currency`, `in_stock`. Pages are cached for the
    catalog's current generation: a product change, stock included, is seen by the next search.

    Args:
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        q (str | Unset):
        min_price (str | Unset):  Example: 19.99.
        max_price (str | Unset):  Example: 19.99.
        in_stock (bool | Unset):
        currency (ListProductsCurrency | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ProductPage]
    """

    kwargs = _get_kwargs(
        page=page,
        page_size=page_size,
        q=q,
        min_price=min_price,
        max_price=max_price,
        in_stock=in_stock,
        currency=currency,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    q: str | Unset = UNSET,
    min_price: str | Unset = UNSET,
    max_price: str | Unset = UNSET,
    in_stock: bool | Unset = UNSET,
    currency: ListProductsCurrency | Unset = UNSET,
) -> Problem | ProductPage | None:
    """Products, newest first; `q` searches name and description (best match first);
    filter by `min_price`, `max_price`, `currency`, `in_stock`. Pages are cached for the
    catalog's current generation: a product change, stock included, is seen by the next search.

    Args:
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        q (str | Unset):
        min_price (str | Unset):  Example: 19.99.
        max_price (str | Unset):  Example: 19.99.
        in_stock (bool | Unset):
        currency (ListProductsCurrency | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ProductPage
    """

    return (
        await asyncio_detailed(
            client=client,
            page=page,
            page_size=page_size,
            q=q,
            min_price=min_price,
            max_price=max_price,
            in_stock=in_stock,
            currency=currency,
        )
    ).parsed
