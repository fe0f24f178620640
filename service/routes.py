"""The route table, and the API key scope each protected route needs."""

from aiohttp import web

from . import console, customer_handlers, handlers, health, openapi
from .config import Settings

ROUTES = [
    web.post("/identify", handlers.post_identify),
    web.get("/customers", customer_handlers.get_customers),
    web.get("/customers/{contactId}", customer_handlers.get_customer),
    web.delete("/customers/{contactId}", customer_handlers.delete_customer),
    web.get("/customers/{contactId}/events", customer_handlers.get_customer_events),
    web.get("/customers/{contactId}/explain", customer_handlers.get_customer_explain),
    web.post("/customers/{contactId}/remove-identifier", customer_handlers.post_remove_identifier),
    web.get("/healthz", health.get_healthz),
    web.get("/readyz", health.get_readyz),
    web.get("/metrics", health.get_metrics),
    web.get("/openapi.json", openapi.get_openapi_document),
    # The support console: a page for people, open like /openapi.json; its API calls need a key.
    web.get("/console", console.get_console),
    web.get("/console/{asset}", console.get_console_asset),
]

# Everything about customers always needs a key; admin includes read.
CUSTOMER_SCOPES = {
    customer_handlers.get_customers: "read",
    customer_handlers.get_customer: "read",
    customer_handlers.get_customer_events: "read",
    customer_handlers.get_customer_explain: "read",
    customer_handlers.delete_customer: "admin",
    customer_handlers.post_remove_identifier: "admin",
}


def required_scopes(settings: Settings) -> dict:
    """The scope each protected handler needs; /identify and /metrics only when the settings say so."""
    scopes = dict(CUSTOMER_SCOPES)
    if settings.identify_api_key_required:
        scopes[handlers.post_identify] = "read"
    if settings.metrics_api_key_required:
        scopes[health.get_metrics] = "read"
    return scopes
