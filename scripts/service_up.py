"""Exit 0 if a service answers: `service_up.py postgres URL | redis URL | mqtt HOST:PORT`."""

import socket
import sys


def main() -> int:
    kind, target = sys.argv[1], sys.argv[2]
    try:
        if kind == "postgres":
            import psycopg

            conninfo = target.rsplit("/", 1)[0] + "/postgres"
            with psycopg.connect(conninfo, connect_timeout=3):
                return 0
        host, _, port = target.replace("redis://", "").replace("mqtt://", "").partition(":")
        with socket.create_connection((host, int(port.split("/")[0] or 0)), timeout=3):
            return 0
    except Exception as exc:  # noqa: BLE001 - any failure means "not up"
        print(f"{kind} not reachable: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
