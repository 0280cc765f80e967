import sys

from smarterrouter.cli import main

sys.exit(main())
