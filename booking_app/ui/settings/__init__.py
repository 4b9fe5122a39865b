"""設定: the settings page and its tabs."""
