"""カレンダー: the day, week and month views of the rooms."""
