"""The privacy kernel: what every app may call, below all of them but core,
vault and the data map (docs/architecture.md, ADR 0021).

The disclosure log (``disclosures``), the registry of processors and partners
(``processors``), the residency of each customer's data and the database
router that follows it (``residency``, ``router``), and which privacy policy
is in force (``policies``). Its tables belong to the ``governance`` app
(``models``: Django's app label and the migrations stay there); governance's
features (policy pages and notices, legal requests, breach response, business
transfer) sit above every app and build on this.
"""
