"""Settings of the server that bench/03_appeals.py starts: linli.settings as
shipped, which pools PostgreSQL connections (under ASGI every request runs in
a thread of its own, so CONN_MAX_AGE alone would open a new connection per
request and leave the old ones to the garbage collector). Kept as the place
for bench-only overrides; LINLI_BENCH_SERVER_SETTINGS=linli.settings skips it.
"""

from linli.settings import *  # noqa: F403
