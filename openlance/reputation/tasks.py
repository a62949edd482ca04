from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.core import clock
from openlance.reputation import services


@db_periodic_task(crontab(hour="3", minute="41"))
@lock_task("jss-ageing")
def jss_ageing_daily() -> int:
    return services.jss_ageing_run_due(now=clock.now())


@db_periodic_task(crontab(minute="*/10"))
@lock_task("jss-policy")
def jss_policy_periodic() -> int:
    return services.jss_policy_run_due(now=clock.now())


@db_periodic_task(crontab(day_of_week="1", hour="0", minute="5"))
@lock_task("jss-snapshots")
def jss_snapshots_weekly() -> int:
    return services.jss_snapshots_run_due(now=clock.now())


@db_periodic_task(crontab(hour="4", minute="11"))
@lock_task("badges")
def badges_daily() -> int:
    return services.badges_run_due(now=clock.now())
