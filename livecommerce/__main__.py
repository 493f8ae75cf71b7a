from livecommerce.cli import main

raise SystemExit(main())
