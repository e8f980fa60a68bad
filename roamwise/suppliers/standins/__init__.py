"""Stand-ins for eSIM wholesalers: small WSGI servers that speak each
provider's protocol over HTTP on loopback (authentication, envelopes, units,
asynchronous allocation, webhooks, 429 rate limits, error codes). They import
nothing from Django, so they run as their own process
(``manage.py run_supplier_standin``) or in a test's thread."""
