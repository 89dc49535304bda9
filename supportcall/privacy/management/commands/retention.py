from django.core.management.base import BaseCommand, CommandError

from supportcall.directory.models import Site
from supportcall.privacy import retention


class Command(BaseCommand):
    help = (
        "Apply the sites' retention periods now, in batches (the sweeper does it every "
        "minute), or show what they would remove (--dry-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--site", help="only this site's key (default: every site)")
        parser.add_argument("--dry-run", action="store_true", help="count, remove nothing")

    def handle(self, site, dry_run, **options):
        sites = Site.objects.all()
        if site:
            sites = sites.filter(key=site)
            if not sites.exists():
                raise CommandError(f"no site with the key {site!r}")
        for one in sites:
            if dry_run:
                counts = retention.preview(one)
            else:
                counts = retention.apply(Site.objects.filter(pk=one.pk), batches=10**9)
            what = ", ".join(f"{kind} {n}" for kind, n in counts.items()) or "kept for good"
            verb = "would remove" if dry_run else "removed"
            self.stdout.write(f"{one.key}: {verb} {what}")
