"""The after-sale parts of a view: what an event or a snapshot adds to the shipments, returns and
cancellations maps, and what the read side shows from them.

Each map is keyed by the thing's own id and each event patches its entry (order_queries/projection.py
merges a patch into the entry), so shipments, returns and cancellations come out the same whatever
order their events arrive in and however often. A return's status is set with the order sequence
of the step that set it, and a patch with an older sequence leaves it. The line quantities are
not stored: they are counted from the maps when read, so a late or repeated event cannot count
twice. A rebuild's snapshot stores the cancelled units it read under "snapshot" with the order's
sequence; a cancellation event counts on top of it only when newer."""

from contracts.events import (
    RETURN_APPROVED,
    RETURN_RECEIVED,
    RETURN_REJECTED,
    RETURN_REQUESTED,
    SHIPMENT_DELIVERED,
)

SNAPSHOT = "snapshot"  # the cancellations entry a rebuild writes
RETURN_STATUSES = {RETURN_REQUESTED: "requested", RETURN_APPROVED: "approved", RETURN_REJECTED: "rejected",
                   RETURN_RECEIVED: "received"}
# Shipments whose units left (capturing and failed ones never did).
_SHIPPED = ("shipped", "delivered")
# Orders shipped before shipments existed have none: their every remaining unit left at once.
_LEGACY_SHIPPED = ("shipped", "delivered")


def shipment_patch(event: dict) -> dict:
    """shipment_created: the parcel; shipment_delivered: when it arrived."""
    if event["event_type"] == SHIPMENT_DELIVERED:
        return {"id": event["shipment_id"], "delivered_at": event["delivered_at"]}
    return {
        "id": event["shipment_id"],
        "items": [_line(line) for line in event["items"]],
        "amount": str(event["amount"]),
        "carrier": event["carrier"],
        "tracking_number": event["tracking_number"],
        "shipped_at": event["shipped_at"],
        "status": "shipped",
    }


def return_patch(event: dict) -> dict:
    """A return's step: its status (with the order sequence), and its lines as requested or received."""
    patch = {"id": event["return_id"], "status": RETURN_STATUSES[event["event_type"]],
             "sequence": event.get("sequence") or 0}
    if event["event_type"] == RETURN_REQUESTED:
        patch["items"] = [{"product_id": line["product_id"], "quantity": line["quantity"],
                           "reason": line.get("reason")} for line in event["items"]]
        patch["created_at"] = event.get("created_at") or event["occurred_at"]
    elif event["event_type"] == RETURN_RECEIVED:
        patch["received"] = {line["product_id"]: {"quantity": line["quantity"], "restock": line.get("restock")}
                             for line in event["items"]}
        patch["refund_amount"] = str(event["refund_amount"])
    return patch


def cancellation_patch(event: dict) -> dict:
    """order_items_cancelled: the units it cancelled, with the order sequence it took."""
    items: dict[str, int] = {}
    for line in event["items"]:
        items[line["product_id"]] = items.get(line["product_id"], 0) + line["quantity"]
    return {"sequence": event.get("sequence") or 0, "items": items}


def snapshot_patches(order: dict) -> tuple[dict, dict, dict]:
    """The shipments, returns and cancellations of orders.snapshot_orders' order, as patches by key:
    parcels that left only (shipment_created announces no other)."""
    shipments = {
        shipment["id"]: {key: shipment.get(key) for key in
                         ("id", "items", "amount", "carrier", "tracking_number", "status", "shipped_at",
                          "delivered_at")}
        for shipment in order.get("shipments", []) if shipment["status"] in _SHIPPED  # as events tell them
    }
    returns = {}
    for ret in order.get("returns", []):
        returns[ret["id"]] = {
            "id": ret["id"], "status": ret["status"], "sequence": order["sequence"],
            "created_at": ret["created_at"], "refund_amount": ret.get("refund_amount"),
            "items": [{"product_id": line["product_id"], "quantity": line["quantity"], "reason": line.get("reason")}
                      for line in ret["items"]],
            "received": {line["product_id"]: {"quantity": line.get("received_quantity") or 0,
                                              "restock": line.get("restock")}
                         for line in ret["items"] if ret["status"] == "received"},
        }
    cancelled = {item["product_id"]: item.get("cancelled_quantity", 0) for item in order["items"]}
    return shipments, returns, {SNAPSHOT: {"sequence": order["sequence"], "items": cancelled}}


def shown_shipments(shipments: dict) -> list[dict]:
    """Oldest first; delivered once it arrived (a delivery may be applied before its shipment)."""
    shown = []
    for entry in shipments.values():
        status = "delivered" if entry.get("delivered_at") else entry.get("status", "shipped")
        shown.append({"id": entry["id"], "items": entry.get("items", []), "amount": entry.get("amount"),
                      "carrier": entry.get("carrier"), "tracking_number": entry.get("tracking_number"),
                      "status": status, "shipped_at": entry.get("shipped_at"),
                      "delivered_at": entry.get("delivered_at")})
    return sorted(shown, key=lambda s: (s["shipped_at"] or "", s["id"]))


def shown_returns(returns: dict) -> list[dict]:
    """Oldest first; each line with what was received of it."""
    shown = []
    for entry in returns.values():
        received = entry.get("received") or {}
        items = [{**line, "received_quantity": received.get(line["product_id"], {}).get("quantity", 0),
                  "restock": received.get(line["product_id"], {}).get("restock")}
                 for line in entry.get("items", [])]
        shown.append({"id": entry["id"], "status": entry.get("status"), "items": items,
                      "refund_amount": entry.get("refund_amount"), "created_at": entry.get("created_at")})
    return sorted(shown, key=lambda r: (r["created_at"] or "", r["id"]))


def line_quantities(status: str | None, lines: list, shipments: list, returns: list, cancellations: dict) -> list:
    """Each line with its shipped, cancelled, delivered and returned quantities."""
    shipped, delivered, returned = {}, {}, {}
    for shipment in shipments:
        if shipment["status"] in _SHIPPED:
            _add(shipped, shipment["items"])
        if shipment["status"] == "delivered":
            _add(delivered, shipment["items"])
    for ret in returns:
        for line in ret["items"]:
            returned[line["product_id"]] = returned.get(line["product_id"], 0) + line["received_quantity"]
    cancelled = _cancelled(cancellations)
    shown = []
    for line in lines:
        product = line.get("product_id")
        counts = {"shipped_quantity": shipped.get(product, 0), "cancelled_quantity": cancelled.get(product, 0),
                  "delivered_quantity": delivered.get(product, 0), "returned_quantity": returned.get(product, 0)}
        if not shipments and status in _LEGACY_SHIPPED:
            counts["shipped_quantity"] = line["quantity"] - counts["cancelled_quantity"]
            if status == "delivered":
                counts["delivered_quantity"] = counts["shipped_quantity"]
        shown.append({**line, **counts})
    return shown


def _cancelled(cancellations: dict) -> dict:
    base = cancellations.get(SNAPSHOT, {"sequence": 0, "items": {}})
    cancelled = dict(base["items"])
    for key, entry in cancellations.items():
        if key != SNAPSHOT and entry["sequence"] > base["sequence"]:
            for product, quantity in entry["items"].items():
                cancelled[product] = cancelled.get(product, 0) + quantity
    return cancelled


def _add(counts: dict, items: list) -> None:
    for item in items:
        counts[item["product_id"]] = counts.get(item["product_id"], 0) + item["quantity"]


def _line(line: dict) -> dict:
    return {**line, "unit_price": str(line["unit_price"]), "line_total": str(line["line_total"])}
