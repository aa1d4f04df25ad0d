import sys

from woofort_assets.cli import main

sys.exit(main())
