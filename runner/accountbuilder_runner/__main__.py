import sys

from accountbuilder_runner.cli import main

sys.exit(main())
