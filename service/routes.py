"""The route table, and the API key scope each protected route needs."""

from aiohttp import web

from . import blocklist_handlers, console, customer_handlers, handlers, health, openapi
from .config import Settings

ROUTES = [
    web.post("/identify", handlers.post_identify),
    web.get("/customers", customer_handlers.get_customers),
    web.get("/customers/{contactId}", customer_handlers.get_customer),
    web.delete("/customers/{contactId}", customer_handlers.delete_customer),
    web.get("/customers/{contactId}/events", customer_handlers.get_customer_events),
    web.get("/customers/{contactId}/explain", customer_handlers.get_customer_explain),
    web.post("/customers/{contactId}/remove-identifier", customer_handlers.post_remove_identifier),
    web.get("/blocklist/{kind}/{value}", blocklist_handlers.get_blocked_value),
    web.put("/blocklist/{kind}/{value}", blocklist_handlers.put_blocked_value),
    web.delete("/blocklist/{kind}/{value}", blocklist_handlers.delete_blocked_value),
    web.get("/healthz", health.get_healthz),
    web.get("/readyz", health.get_readyz),
    web.get("/metrics", health.get_metrics),
    web.get("/openapi.json", openapi.get_openapi_document),
    # The support console: a page for people, open like /openapi.json; its API calls need a key.
    web.get("/console", console.get_console),
    web.get("/console/{asset}", console.get_console_asset),
]

# Everything about customers and blocked values always needs a key; admin includes read.
ALWAYS_PROTECTED_SCOPES = {
    customer_handlers.get_customers: "read",
    customer_handlers.get_customer: "read",
    customer_handlers.get_customer_events: "read",
    customer_handlers.get_customer_explain: "read",
    customer_handlers.delete_customer: "admin",
    customer_handlers.post_remove_identifier: "admin",
    # The blocked values are personal data and steer every request: admin only, reading included.
    blocklist_handlers.get_blocked_value: "admin",
    blocklist_handlers.put_blocked_value: "admin",
    blocklist_handlers.delete_blocked_value: "admin",
}


def required_scopes(settings: Settings) -> dict:
    """The scope each protected handler needs; /identify and /metrics only when the settings say so."""
    scopes = dict(ALWAYS_PROTECTED_SCOPES)
    if settings.identify_api_key_required:
        scopes[handlers.post_identify] = "read"
    if settings.metrics_api_key_required:
        scopes[health.get_metrics] = "read"
    return scopes
