"""The woofort code location: the definitions of every folder under defs/, merged, with the resources.

Each folder `woofort_assets/defs/<folder>/` exposes its own `defs` (a `dg.Definitions` of its assets, asset
checks, jobs, schedules and sensors, without resources) in `<folder>/definitions.py`. `build_definitions()` finds
the folders by walking the package and merges their `defs` with the resources (`dg.Definitions.merge`), so a new
folder joins the code location without an edit here; a folder without a definitions.py is an error, not skipped."""

import importlib
import pkgutil
import warnings

import dagster as dg

from woofort_assets.resources import build_resources

# Before any folder is imported: their definitions use Dagster APIs marked beta or preview (pools, kinds, ...).
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

DEFS_PACKAGE = "woofort_assets.defs"


def folder_definitions() -> dict[str, dg.Definitions]:
    """folder name -> the `defs` of `woofort_assets/defs/<folder>/definitions.py`, for every folder (sorted)."""
    package = importlib.import_module(DEFS_PACKAGE)
    found = {}
    for folder in sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.ispkg):
        module = importlib.import_module(f"{DEFS_PACKAGE}.{folder}.definitions")
        if not isinstance(getattr(module, "defs", None), dg.Definitions):
            raise TypeError(f"{module.__name__} must define `defs = dg.Definitions(...)`")
        found[folder] = module.defs
    return found


def build_definitions() -> dg.Definitions:
    """Resources are read from the environment at call time (the CLI and tests call it afresh)."""
    return dg.Definitions.merge(*folder_definitions().values(), dg.Definitions(resources=build_resources()))


defs = build_definitions()
