"""利用開始: the first-start wizard, the connection, sign-in and the lock screen."""
