"""統計: the dashboard, the visitor counter and the statistics page."""
