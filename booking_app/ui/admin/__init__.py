"""管理: staff accounts, database logins and the audit log."""
