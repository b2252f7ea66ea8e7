"""Back-office administration used by the CLI: infobases, users, the demo shop, goods CSV import and export."""
