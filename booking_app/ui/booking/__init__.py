"""予約: the booking dialog, 本日の予約, 予約検索 and the ledger import."""
