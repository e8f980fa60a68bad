"""What the tests share: people, purchases, helpers, fixtures and factories.

Only tests import this package; the site never does. A test module imports
from here (or from its own directory's ``conftest.py`` fixtures), never from
another test module (``tests/test_test_support.py`` checks).

- ``people``: ``PASSWORD``, ``make_customer``, ``staff_client``, TOTP codes.
- ``shopping``: ``BILLING`` (service calls), ``BILLING_FORM`` (the checkout
  form and the API), ``checkout`` and ``pay`` in a browser, ``paid_order``.
- ``helpers``: ``run_jobs``, ``link_in`` (a link in an email), ``code_in`` (a verification code),
  ``rows_containing`` (where a value is stored, anywhere in the database).
- ``factories``: factory-boy factories, one module per app.
- ``fixtures``: the pytest fixtures every test may ask for (``alice``,
  ``bob``, ``staff``, ``buyer``, ``catalog``, ``plan``, ``jobs``,
  ``stand_ins``, ``shop``), registered once by the root ``conftest.py``.

See docs/testing.md.
"""
