"""印刷: the print preview and the printing log."""
