from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.core import clock
from openlance.profiles import services


@db_periodic_task(crontab(minute="23", hour="3"))
@lock_task("profile-auto-private")
def freelancer_auto_private_daily() -> int:
    return services.freelancer_auto_private_run_due(now=clock.now())


@db_periodic_task(crontab(minute="*"))
@lock_task("profile-search-ranks")
def profile_search_ranks_periodic() -> int:
    return services.profile_search_ranks_run_due(now=clock.now())
