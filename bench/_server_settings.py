"""Settings of the server that bench/03_appeals.py starts: linli.settings, except
that database connections are closed at the end of each request (CONN_MAX_AGE=0).

Under ASGI Django runs each request's view in a thread of its own, so the
shipped CONN_MAX_AGE=60 does not keep a connection between requests: every
request opens a new one anyway, and the old ones stay open until the garbage
collector finds them. At 50 concurrent clients that exhausts the shared
PostgreSQL's max_connections (100 here) and breaks whoever else uses it. With
CONN_MAX_AGE=0 each request still opens its connection, as shipped, but closes
it when it is done. LINLI_BENCH_SERVER_SETTINGS=linli.settings runs the server
with the settings as shipped instead.
"""

from linli.settings import *  # noqa: F403

DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
