"""The suite's settings: the project's, in the test mode (pyproject's DJANGO_SETTINGS_MODULE).

The mode is read when `linli.settings` is imported, which pytest-django does before
any conftest runs, so it is set here. LINLI_ENV=test allows the console SMS backend
and plain-HTTP cookies; the development inbox is asked for explicitly, as a demo
would (its default is off outside LINLI_ENV=demo). Subprocesses the tests start
inherit both. Tests of production start a subprocess with their own environment
(tests/core/test_hardening.py).
"""

import os

os.environ["LINLI_ENV"] = "test"
os.environ["LINLI_DEV_INBOX"] = "1"

from linli.settings import *  # noqa: E402, F403
