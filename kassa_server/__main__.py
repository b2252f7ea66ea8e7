from kassa_server.cli import main

raise SystemExit(main())
