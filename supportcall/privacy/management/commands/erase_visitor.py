from django.core.management.base import BaseCommand, CommandError

from supportcall.directory.models import Site
from supportcall.privacy.erasure import Visitor, erase, plan


class Command(BaseCommand):
    help = (
        "Erase one visitor's data (by its address or its verified sub), keeping the call "
        "rows the figures count. Without --yes it only shows what would be erased."
    )

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--identity", help="the visitor's address, as on its calls")
        who.add_argument("--sub", help="the sub its site's backend signed")
        parser.add_argument("--site", help="only this site's calls (the sub is per site)")
        parser.add_argument("--yes", action="store_true", help="erase (default: only show)")

    def handle(self, identity, sub, site, yes, **options):
        where = None
        if site:
            where = Site.objects.filter(key=site).first()
            if where is None:
                raise CommandError(f"no site with the key {site!r}")
        if not (identity or sub or "").strip():
            raise CommandError("give a non-empty --identity or --sub")
        visitor = Visitor(where, identity=(identity or "").strip(), sub=(sub or "").strip())
        if not yes:
            shown = plan(visitor)
            counts, left = shown.counts, shown.in_progress
            verb = "would erase"
        else:
            record = erase(visitor, by="command")
            counts, left = record.counts, record.skipped_in_progress
            verb = f"erasure {record.pk}: erased"
        self.stdout.write(f"{verb} " + ", ".join(f"{k} {n}" for k, n in counts.items()))
        if left:
            self.stdout.write(f"{left} calls still in progress were left alone: run it again later")
