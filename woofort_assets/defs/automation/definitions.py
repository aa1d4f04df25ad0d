"""The automation folder's definitions, without resources: the jobs over the graph and the operator and privacy
jobs, their schedules, and the sensors."""

import dagster as dg

from woofort_assets.defs.automation.jobs import jobs
from woofort_assets.defs.automation.ops import operator_jobs
from woofort_assets.defs.automation.privacy import privacy_jobs, privacy_schedules
from woofort_assets.defs.automation.schedules import schedules
from woofort_assets.defs.automation.sensors import sensors

defs = dg.Definitions(
    jobs=[*jobs, *operator_jobs, *privacy_jobs],
    schedules=[*schedules, *privacy_schedules],
    sensors=sensors,
)
