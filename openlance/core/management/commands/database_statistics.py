from typing import Any

from django.core.management.base import BaseCommand

from openlance.core.services import database_statistics_refresh


class Command(BaseCommand):
    help = (
        "Refresh the query planner's statistics now, as the hourly task does (after a large "
        "import, say). On SQLite this runs ANALYZE; PostgreSQL's autovacuum keeps its own."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if database_statistics_refresh():
            self.stdout.write("SQLite's planner statistics refreshed (ANALYZE).")
        else:
            self.stdout.write("Nothing to do: PostgreSQL's autovacuum keeps its statistics.")
