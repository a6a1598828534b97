"""Every operation is declared once in contracts (issue 23), and every RPC, route and typed client
agrees with its declaration: read from the service classes and the gateway app, not by running
them."""

import inspect

import pytest

from contracts.clients import CLIENTS
from contracts.declarations import MIXIN_OPERATIONS, OPERATIONS, operations_of, routed
from contracts.operation import API_PREFIX, EVERY_SERVICE, Operation
from contracts.orders_operations import GET_ORDER
from gateway.app import create_app
from plumbing.callers import CheckedRpc, rpc
from scripts import rpc_clients
from scripts.system import service_classes
from wire.access import Access

SERVICES = {cls.name: cls for cls in service_classes()}
# The route under /api/v1 that is no one operation's: the export streams page after page of
# order_queries.export_orders as CSV or NDJSON. (The OAuth2 endpoints, /oauth/*, take forms and
# answer as RFC 6749/7662 say, outside the API.)
UNDECLARED_ROUTES = {("GET", "/api/v1/orders/export")}


def rpc_methods(service_cls: type) -> dict[str, object]:
    """The service's RPC entrypoints, inherited ones included, by name."""
    found = {}
    for name in dir(service_cls):
        member = getattr(service_cls, name)
        if any(isinstance(each, CheckedRpc) for each in getattr(member, "nameko_entrypoints", ())):
            found[name] = member
    return found


@pytest.fixture(scope="module")
def app(config):
    return create_app(config)


def api_routes(app) -> dict[tuple[str, str], object]:
    """(HTTP method, rule) of every route under /api/v1, with its view."""
    return {
        (method, rule.rule): app.view_functions[rule.endpoint]
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def wider(access: Access, than: Access) -> bool:
    """Whether `access` lets in a caller `than` refuses."""
    if than.public:
        return False
    return access.public or not access.roles <= than.roles or not access.scopes <= than.scopes


def test_operation_ids_are_unique_and_camel_case():
    ids = [op.id for op in OPERATIONS]
    assert len(ids) == len(set(ids))
    assert [each for each in ids if not each[0].islower() or "_" in each] == []


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_rpc_serves_a_declaration_of_its_service(service):
    for name, method in rpc_methods(SERVICES[service]).items():
        operation = getattr(method, "operation", None)
        assert operation in OPERATIONS, f"{service}.{name} has no declaration in contracts"
        assert operation.method == name
        assert operation.service in (service, EVERY_SERVICE)
        assert method.access == operation.access


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_every_declaration_has_its_rpc(operation):
    services = [SERVICES[operation.service]] if operation.service != EVERY_SERVICE else [
        cls for cls in SERVICES.values() if operation.method in rpc_methods(cls)
    ]
    assert services, f"no service serves {operation.id}"
    for service_cls in services:
        method = rpc_methods(service_cls).get(operation.method)
        assert method is not None, f"{service_cls.name} has no RPC {operation.method} ({operation.id})"
        if method.operation is not operation:
            # Another route to the same RPC (getMe): it may narrow who calls, never widen it.
            assert operation.http is not None
            assert not wider(operation.access, method.operation.access)


def test_every_route_under_the_api_has_a_declaration_and_follows_it(app):
    routes = api_routes(app)
    assert UNDECLARED_ROUTES <= set(routes), "an exempted route is gone: drop it from UNDECLARED_ROUTES"
    undeclared = {
        route for route, view in routes.items()
        if route not in UNDECLARED_ROUTES and not isinstance(getattr(view, "operation", None), Operation)
    }
    assert undeclared == set()
    for (method, rule), view in routes.items():
        operation = getattr(view, "operation", None)
        if operation is not None:
            assert (method, rule) == (operation.http.method, API_PREFIX + operation.http.path), operation.id


def test_every_declared_route_is_served(app):
    routes = api_routes(app)
    for operation in routed():
        view = routes.get((operation.http.method, API_PREFIX + operation.http.path))
        assert view is not None and view.operation is operation, f"no route serves {operation.id}"


def test_the_openapi_document_names_each_operation_by_its_declaration(app):
    spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    documented = {
        operation_doc["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation_doc in item.items()
        if "operationId" in operation_doc
    }
    for operation in routed():
        method, path = documented[operation.id]
        assert method == operation.http.method
        assert path == API_PREFIX + operation.http.path.replace("<", "{").replace(">", "}")


def test_the_generated_clients_are_current():
    """Regenerate with `python -m scripts.rpc_clients`."""
    assert rpc_clients.TARGET.read_text() == rpc_clients.module_source()


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_client_method_has_the_signature_of_its_rpc(service):
    client = CLIENTS[service]
    served = {name for name in vars(client) if not name.startswith("_") and callable(vars(client)[name])}
    assert served == set(rpc_methods(SERVICES[service]))
    for name in served:
        assert inspect.signature(getattr(client, name)) == inspect.signature(getattr(SERVICES[service], name))


def test_mixin_operations_are_declared_for_every_service():
    assert {op.method for op in MIXIN_OPERATIONS} == {"ping", "list_dead_letters", "replay_dead_letter",
                                                      "discard_dead_letter"}
    assert all(op.http is None for op in MIXIN_OPERATIONS)
    assert operations_of(EVERY_SERVICE) == MIXIN_OPERATIONS


def test_an_rpc_named_otherwise_than_its_declaration_is_refused():
    with pytest.raises(TypeError, match="get_order"):
        @rpc(GET_ORDER)
        def fetch_order(self, order_id):
            """Misnamed."""
