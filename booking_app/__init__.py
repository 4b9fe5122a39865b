"""Fukufuku Desk (ふくふくデスク): front-desk software for しものせき市民活動センター."""

__version__ = "0.1.0"
