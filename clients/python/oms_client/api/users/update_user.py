from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.user import User
from ...models.user_update import UserUpdate
from ...types import Response


def _get_kwargs(
    user_id: str,
    *,
    body: UserUpdate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/v1/users/{user_id}".format(
            user_id=quote(str(user_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | User | None:
    if response.status_code == 200:
        response_200 = User.from_dict(response.json())

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
) -> Response[Problem | User]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    user_id: str,
    *,
    client: AuthenticatedClient,
    body: UserUpdate,
) -> Response[Problem | User]:
    """Change email, name or password (self or admin), or role (admin only).

     A new email or password needs `current_password`, the caller's own (an admin changing another
    account gives its own): without it a 422, wrong a 403, each naming `current_password`; wrong
    ones count as failed logins (429 past the limit). It signs the user out everywhere else: the
    user's other sessions are revoked, the caller's own stays valid. A new role voids every token
    of the user. 409 for a taken email, for demoting the last admin, and for demoting or renaming
    the configured admin.

    Args:
        user_id (str):
        body (UserUpdate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | User]
    """

    kwargs = _get_kwargs(
        user_id=user_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    user_id: str,
    *,
    client: AuthenticatedClient,
    body: UserUpdate,
) -> Problem | User | None:
    """Change email, name or password (self or admin), or role (admin only).

     A new email or password needs `current_password`, the caller's own (an admin changing another
    account gives its own): without it a 422, wrong a 403, each naming `current_password`; wrong
    ones count as failed logins (429 past the limit). It signs the user out everywhere else: the
    user's other sessions are revoked, the caller's own stays valid. A new role voids every token
    of the user. 409 for a taken email, for demoting the last admin, and for demoting or renaming
    the configured admin.

    Args:
        user_id (str):
        body (UserUpdate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | User
    """

    return sync_detailed(
        user_id=user_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    user_id: str,
    *,
    client: AuthenticatedClient,
    body: UserUpdate,
) -> Response[Problem | User]:
    """Change email, name or password (self or admin), or role (admin only).

     A new email or password needs `current_password`, the caller's own (an admin changing another
    account gives its own): without it a 422, wrong a 403, each naming `current_password`; wrong
    ones count as failed logins (429 past the limit). It signs the user out everywhere else: the
    user's other sessions are revoked, the caller's own stays valid. A new role voids every token
    of the user. 409 for a taken email, for demoting the last admin, and for demoting or renaming
    the configured admin.

    Args:
        user_id (str):
        body (UserUpdate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | User]
    """

    kwargs = _get_kwargs(
        user_id=user_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    user_id: str,
    *,
    client: AuthenticatedClient,
    body: UserUpdate,
) -> Problem | User | None:
    """Change email, name or password (self or admin), or role (admin only).

     A new email or password needs `current_password`, the caller's own (an admin changing another
    account gives its own): without it a 422, wrong a 403, each naming `current_password`; wrong
    ones count as failed logins (429 past the limit). It signs the user out everywhere else: the
    user's other sessions are revoked, the caller's own stays valid. A new role voids every token
    of the user. 409 for a taken email, for demoting the last admin, and for demoting or renaming
    the configured admin.

    Args:
        user_id (str):
        body (UserUpdate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | User
    """

    return (
        await asyncio_detailed(
            user_id=user_id,
            client=client,
            body=body,
        )
    ).parsed
