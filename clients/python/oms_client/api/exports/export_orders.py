import datetime
from http import HTTPStatus
from io import BytesIO
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.export_orders_format import ExportOrdersFormat
from ...models.export_orders_status import ExportOrdersStatus
from ...models.problem import Problem
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    *,
    format_: ExportOrdersFormat | Unset = ExportOrdersFormat.CSV,
    status: ExportOrdersStatus | Unset = UNSET,
    created_from: datetime.datetime | Unset = UNSET,
    created_to: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    json_created_from: str | Unset = UNSET
    if not isinstance(created_from, Unset):
        json_created_from = created_from.isoformat()
    params["created_from"] = json_created_from

    json_created_to: str | Unset = UNSET
    if not isinstance(created_to, Unset):
        json_created_to = created_to.isoformat()
    params["created_to"] = json_created_to

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/orders/export",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> File | Problem | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.text))

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
) -> Response[File | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    format_: ExportOrdersFormat | Unset = ExportOrdersFormat.CSV,
    status: ExportOrdersStatus | Unset = UNSET,
    created_from: datetime.datetime | Unset = UNSET,
    created_to: datetime.datetime | Unset = UNSET,
) -> Response[File | Problem]:
    """Every order, newest first, one row per line (admin): as CSV (RFC 4180: a header row, CRLF,
    fields quoted where needed) or NDJSON (one JSON object per line), with the filters of the
    orders list. Streamed: it starts at once and uses the same memory for 100 or 100,000 orders.

    Args:
        format_ (ExportOrdersFormat | Unset):  Default: ExportOrdersFormat.CSV.
        status (ExportOrdersStatus | Unset):
        created_from (datetime.datetime | Unset):
        created_to (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[File | Problem]
    """

    kwargs = _get_kwargs(
        format_=format_,
        status=status,
        created_from=created_from,
        created_to=created_to,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    format_: ExportOrdersFormat | Unset = ExportOrdersFormat.CSV,
    status: ExportOrdersStatus | Unset = UNSET,
    created_from: datetime.datetime | Unset = UNSET,
    created_to: datetime.datetime | Unset = UNSET,
) -> File | Problem | None:
    """Every order, newest first, one row per line (admin): as CSV (RFC 4180: a header row, CRLF,
    fields quoted where needed) or NDJSON (one JSON object per line), with the filters of the
    orders list. Streamed: it starts at once and uses the same memory for 100 or 100,000 orders.

    Args:
        format_ (ExportOrdersFormat | Unset):  Default: ExportOrdersFormat.CSV.
        status (ExportOrdersStatus | Unset):
        created_from (datetime.datetime | Unset):
        created_to (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        File | Problem
    """

    return sync_detailed(
        client=client,
        format_=format_,
        status=status,
        created_from=created_from,
        created_to=created_to,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    format_: ExportOrdersFormat | Unset = ExportOrdersFormat.CSV,
    status: ExportOrdersStatus | Unset = UNSET,
    created_from: datetime.datetime | Unset = UNSET,
    created_to: datetime.datetime | Unset = UNSET,
) -> Response[File | Problem]:
    """Every order, newest first, one row per line (admin): as CSV (RFC 4180: a header row, CRLF,
    fields quoted where needed) or NDJSON (one JSON object per line), with the filters of the
    orders list. Streamed: it starts at once and uses the same memory for 100 or 100,000 orders.

    Args:
        format_ (ExportOrdersFormat | Unset):  Default: ExportOrdersFormat.CSV.
        status (ExportOrdersStatus | Unset):
        created_from (datetime.datetime | Unset):
        created_to (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[File | Problem]
    """

    kwargs = _get_kwargs(
        format_=format_,
        status=status,
        created_from=created_from,
        created_to=created_to,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    format_: ExportOrdersFormat | Unset = ExportOrdersFormat.CSV,
    status: ExportOrdersStatus | Unset = UNSET,
    created_from: datetime.datetime | Unset = UNSET,
    created_to: datetime.datetime | Unset = UNSET,
) -> File | Problem | None:
    """Every order, newest first, one row per line (admin): as CSV (RFC 4180: a header row, CRLF,
    fields quoted where needed) or NDJSON (one JSON object per line), with the filters of the
    orders list. Streamed: it starts at once and uses the same memory for 100 or 100,000 orders.

    Args:
        format_ (ExportOrdersFormat | Unset):  Default: ExportOrdersFormat.CSV.
        status (ExportOrdersStatus | Unset):
        created_from (datetime.datetime | Unset):
        created_to (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        File | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            format_=format_,
            status=status,
            created_from=created_from,
            created_to=created_to,
        )
    ).parsed
