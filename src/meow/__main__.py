from meow.cli import main

raise SystemExit(main())
