"""The page handlers, one module per section of the back office's menu."""
