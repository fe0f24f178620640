-- Reject every order of a customer the import would take over a cap (import_oversized_customer),
-- the orders whose values belong to it; nothing of that customer is planned
-- (import_plan_contacts, import_plan_customers and import_summarize leave its label out).
-- Run only when import_oversized_customer has rows (the caller knows from its command tag).
-- returns: (line bigint, guardrail text, would_have bigint) per rejected order, in line order
-- indexes: none (hash joins of temporary tables)
-- locks: none (temporary tables of this session)
SELECT orders.line, oversized.guardrail, oversized.would_have
FROM import_order_node AS orders
JOIN import_identifier AS identifier ON identifier.node_id = coalesce(orders.email_node, orders.phone_node)
JOIN import_oversized_customer AS oversized ON oversized.label = identifier.label
ORDER BY orders.line;
