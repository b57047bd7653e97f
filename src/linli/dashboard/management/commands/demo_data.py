"""`python -m linli demo_data small|county [--if-empty] [--seed N] [--scale F]`.

The command lives in the top layer because it assembles every domain: `org.demo`
builds the organisation, then `dashboard.demo` lets the domains above `org` seed
their rows (see "Layers" in docs/architecture.md).
"""

from django.core.management.base import BaseCommand, CommandError

from linli.dashboard.demo import seed_domains
from linli.org import demo
from linli.org.models import Unit


class Command(BaseCommand):
    help = (
        "Fill an empty database with deterministic demo data: 'small' (浏阳市 with 大瑶镇 "
        "and 永和镇, ~2,000 households, one account per role) or 'county' (mission scale: "
        "~420,000 households, for benchmarks). Prints the demo accounts at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("mode", choices=["small", "county"])
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the demo accounts) when organisation units exist.",
        )
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="county only: fraction of the mission scale (e.g. 0.01 for a quick run).",
        )

    def handle(self, *args, mode, if_empty, seed, scale, **options):
        if scale <= 0 or scale > 5:
            raise CommandError("--scale must be in (0, 5].")
        if if_empty and Unit.objects.exists():
            self.stdout.write("demo_data: the database already has data; nothing to do.")
            self.print_accounts()
            return
        try:
            result = demo.build(mode, seed=seed, scale=scale, progress=self.stdout.write)
        except demo.DemoDataExists as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"demo_data {mode} (seed {seed}{f', scale {scale}' if mode == 'county' else ''}) "
                f"built in {result.seconds:.1f}s"
            )
        )
        self.stdout.write(
            demo.format_table(("rows", "count"), [(k, f"{v:,}") for k, v in result.counts.items()])
        )
        if mode == "small":
            seed_domains(progress=self.stdout.write)
        self.print_accounts()

    def print_accounts(self):
        rows = demo.account_rows()
        if not rows:
            self.stdout.write("(no demo accounts in this database)")
            return
        self.stdout.write("\n演示账号 Demo accounts (log in with the mobile number):")
        self.stdout.write(
            demo.format_table(
                ("角色 role", "手机号 phone", "密码 password", "单位 unit", "姓名 name"), rows
            )
        )
        note = demo.otp_note()
        if note:
            self.stdout.write(note)
