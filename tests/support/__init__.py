"""The shared test kit: API client helpers, the demo roles and their users, factories
built through the real services, and query-count helpers.

Conftest files keep only fixtures that call into this package; tests import helpers
from here (`from tests.support import api, factories, roles, queries`).
"""
